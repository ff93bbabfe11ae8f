// A graphql-ws client over a real websocket, collecting what a subscription delivers.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { waitFor } from "./wait.ts";

export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  /** The server ended it (complete or error): nothing more can arrive. */
  ended: boolean;
  stop(): Promise<void>;
}

export function subscribe<T = any>(url: string, query: string, variables: Record<string, unknown>, token?: string): Subscription<T> {
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  const subscription: Subscription<T> = {
    events: [],
    errors: [],
    ended: false,
    async stop() {
      unsubscribe();
      await client.dispose();
    },
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => (result.errors ? subscription.errors.push(...result.errors) : subscription.events.push(result.data as T)),
      error: (error) => {
        subscription.errors.push(error);
        subscription.ended = true;
      },
      complete: () => (subscription.ended = true),
    },
  );
  return subscription;
}

export type CampaignEvents = Subscription<{ campaignEvents: { event: string; campaign: { name: string } | null } }>;

/** campaignEvents of one campaign with its name, once its `subscribed` event has arrived. */
export async function watchCampaign(url: string, campaignId: string, token: string): Promise<CampaignEvents> {
  const events: CampaignEvents = subscribe(
    url,
    `subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event campaign { name } } }`,
    { id: campaignId },
    token,
  );
  await waitFor(
    async () => events.events.length,
    (count) => count > 0,
  );
  return events;
}
