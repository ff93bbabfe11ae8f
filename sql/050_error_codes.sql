-- The catalogue of the project's own error codes: every CE… SQLSTATE the database or the API
-- raises, what it means, and the hint the refusal carries when that hint is always the same (null
-- when there is none, or when it is computed from the values, like CE001's allowed next states).
-- In psql: select * from app_private.error_codes();
--
-- Raise sites keep writing `raise exception '…' using errcode = 'CE…'` where the rule is, so a
-- function still reads as the rule it enforces (and a visitor's trigger need not reach into
-- app_private to raise). test/error-catalogue.test.ts holds them to this list both ways, with the
-- README's table and each literal hint; a new code is added here first.
--
-- A function, not a table: sql/ is re-applied on every migrate, so the list changes with the code.
create or replace function app_private.error_codes() returns table (code text, meaning text, hint text)
  language sql immutable parallel safe
  as $$
  values
    ('CE001', 'that status change is not allowed (the message names both states)', null),
    ('CE002', 'reward claims need rewards_enabled', 'Schedule the campaign with rewards_enabled.'),
    ('CE003', 'the campaign does not exist or is not yours to change (also for a bid on it)', null),
    ('CE004', 'only a CREATED campaign can be scheduled', null),
    ('CE005', 'an input value is out of range or malformed (the message names the parameter and the value)', null),
    ('CE010', 'a timer more than a minute in the past', 'Schedule it for now or later.'),
    ('CE011', 'a timer for an expired campaign', null),
    ('CE012', 'the timer does not exist or is not yours', null),
    ('CE013', 'the timer is not in a state that allows it (e.g. cancelling a COMPLETED timer)', null),
    ('CE020', 'no such record is yours to change (an update* mutation, or replaceImage''s record)', null),
    ('CE021', 'no such record is yours to delete (a delete* mutation)', null),
    ('CE101', 'there is no master template to seed from (run npm run template:load)', 'Load it with: npm run template:load'),
    ('CE103', 'the master template cannot be seeded from itself', null),
    ('CE104', 'the campaign is already seeded', 'A campaign is seeded once, when it is created.'),
    ('CE105', 'nothing to publish: the master template has not changed since its last version', 'Edit the master template''s content first.'),
    ('CE110', 'records of that table have no image', null),
    ('CE111', 'the record''s image changed while a new one was uploading', null),
    ('CE201', 'sign in to create a campaign',
     'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.'),
    ('CE202', 'the name is blank (in any Unicode whitespace) or over 200 characters, or the description over 10,000', null),
    ('CE203', 'you are not a member of that marketer', null),
    ('CE204', 'over the hourly creation limit (the message says when to retry)', 'The limit is CAMPAIGN_RATE_LIMIT.'),
    ('CE205', 'the master pool target is out of range (below 0 or above pool_target_max)', null),
    ('CE206', 'pool_created_at never changes', null),
    ('CE207', 'a user pool needs a user', null),
    ('CE208', 'the pools switch takes true or false, not null', null),
    ('CE209', 'pool_target_mode is fixed or adaptive', null),
    ('CE210', 'sign in to create a marketer or manage one',
     'Through the API, send a bearer token; in psql, set jwt.claims.user_id to the user it is for.'),
    ('CE211', 'only the marketer''s owners may manage its members or rename it', null),
    ('CE212', 'the user is a member of that marketer already', null),
    ('CE213', 'a marketer keeps at least one owner: its last owner cannot leave or be removed',
     'Add another owner first (addMarketerMember with role owner).'),
    ('CE214', 'a marketer of that name exists already', null),
    ('CE215', 'that user is not a member of that marketer', null),
    ('CE301', 'the campaign was launched already (refresh its offers instead)',
     'To reach people who joined the target since, refresh its offers.'),
    ('CE302', 'only a CREATED campaign can be launched (the message says what it is)', null),
    ('CE303', 'the campaign has no target', 'Set its targetId to a target of its marketer, then bid on the target''s bands.'),
    ('CE304', 'the campaign has no bids', 'Bid on at least one band of its target.'),
    ('CE305', 'offers can be refreshed only while the campaign is RUNNING', null),
    ('CE306', 'rewards can be claimed only while the campaign is in REWARD_CLAIM', null),
    ('CE307', 'the offer is not current (pending, claimed already, or expired)', null),
    ('CE308', 'the offer does not exist or is not yours', null),
    ('CE309', 'an inner band must require every tag of the bands outside it',
     'Position 0 is the bullseye; each ring outward requires a subset of the tags of the ring inside it.'),
    ('CE310', 'a campaign''s target must belong to the campaign''s marketer', null),
    ('CE311', 'a bid must be on a band of the campaign''s target', 'Set the campaign''s target first, then bid on its bands.'),
    ('CE312', 'a launched campaign keeps its target', null),
    ('CE401', 'that is not an event cursor: cursors are the numbers events carry (cursor, or the stream''s id)', null),
    ('CE402', 'events after that cursor are no longer kept (older than event_retention_days)',
     'Read a snapshot, then follow live events (and replay from their cursors next time).')
$$;
comment on function app_private.error_codes() is
  E'The project''s own error codes (CE…), in code order: what each means, and the fixed hint its refusal carries, if any.';
