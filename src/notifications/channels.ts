// The NOTIFY channels that are about one campaign or one marketer's campaigns (sql/130), as the
// server recognises them: who may follow one (src/server/stream-rights.ts), what is stored of
// one (src/server/event-history.ts). The id is the first group.
export const CAMPAIGN_CHANNEL = /^campaign:([0-9a-f-]{36})$/;
export const MARKETER_CHANNEL = /^marketer:([0-9a-f-]{36}):campaigns$/;
