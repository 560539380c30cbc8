import { sql, type Kysely } from 'kysely';

/**
 * Messaging: providers, templates, the consent ledger, the message log and the links of bot channels.
 * - `message_providers`: a program's SMPP / SMTP / Viber / Telegram connection; `credentials` is sealed
 *   with a key derived from the server secret (db/messaging/sealed.ts) and never read back by the API.
 * - `message_templates` and `message_template_versions`: Liquid content per channel and locale; every
 *   save is a new immutable version, a message records the version it was rendered from.
 * - `customer_consents`: the ledger (who, channel, topic, granted or withdrawn, source, business time
 *   beside recording time); `customer_consent_state` the latest entry per customer, channel and topic.
 * - `messages`: the log and the queue at once. `body` is what people may read (a one-time code masked);
 *   `sealed_body` the real text while a masked message waits to be sent, cleared once it has left.
 * - `message_events`: every change of a message (status, receipt, open, click, fallback) with its time.
 * - `channel_links` / `channel_link_tokens`: a customer's Viber user or Telegram chat, linked through a
 *   one-time token carried by a deep link.
 * - `sink_messages`: what the local mail catcher and SMS sink of `npm start` received.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table message_providers (
    id bigint generated always as identity primary key,
    program_id bigint not null references programs (id),
    channel text not null check (channel in ('sms', 'email', 'viber', 'telegram')),
    name text not null,
    settings jsonb not null,
    credentials text not null,
    priority integer not null default 0,
    status text not null default 'active' check (status in ('active', 'disabled')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    updated_by text not null,
    unique (program_id, name)
  )`.execute(db);

  await sql`create table message_templates (
    id bigint generated always as identity primary key,
    program_id bigint not null references programs (id),
    key text not null,
    purpose text not null check (purpose in ('transactional', 'marketing')),
    topic text,
    version integer not null default 1,
    status text not null default 'active' check (status in ('active', 'archived')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    updated_by text not null,
    unique (program_id, key)
  )`.execute(db);
  await sql`create table message_template_versions (
    template_id bigint not null references message_templates (id),
    version integer not null,
    content jsonb not null,
    created_at timestamptz not null default now(),
    created_by text not null,
    primary key (template_id, version)
  )`.execute(db);

  await sql`create table customer_consents (
    id bigint generated always as identity primary key,
    program_id bigint not null references programs (id),
    customer_id bigint not null references customers (id),
    channel text not null,
    topic text not null,
    granted boolean not null,
    source text not null,
    actor text not null,
    occurred_at timestamptz not null,
    recorded_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index customer_consents_by_customer on customer_consents (customer_id, id)`.execute(db);
  await sql`create table customer_consent_state (
    customer_id bigint not null references customers (id),
    channel text not null,
    topic text not null,
    program_id bigint not null references programs (id),
    granted boolean not null,
    occurred_at timestamptz not null,
    consent_id bigint not null references customer_consents (id),
    primary key (customer_id, channel, topic)
  )`.execute(db);

  await sql`create table messages (
    id bigint generated always as identity primary key,
    program_id bigint not null references programs (id),
    customer_id bigint references customers (id),
    channel text not null check (channel in ('sms', 'email', 'viber', 'telegram', 'receipt')),
    provider_id bigint references message_providers (id),
    purpose text not null check (purpose in ('transactional', 'marketing')),
    topic text,
    kind text not null,
    template_id bigint references message_templates (id),
    template_version integer,
    locale text,
    campaign text,
    idempotency_key text not null,
    destination text not null,
    subject text,
    body text not null,
    html text,
    sealed_body text,
    payload jsonb not null default '{}'::jsonb,
    status text not null default 'queued'
      check (status in ('queued', 'sending', 'sent', 'delivered', 'failed', 'unknown', 'skipped')),
    reason text,
    fallback jsonb not null default '[]'::jsonb,
    previous_message_id bigint references messages (id),
    one_time_code_id bigint references one_time_codes (id),
    not_before timestamptz not null,
    attempts integer not null default 0,
    provider_message_id text,
    parts integer,
    tracking_token text unique,
    occurred_at timestamptz not null,
    queued_at timestamptz not null default now(),
    sending_at timestamptz,
    sent_at timestamptz,
    delivered_at timestamptz,
    failed_at timestamptz,
    opened_at timestamptz,
    clicked_at timestamptz,
    seen_at timestamptz,
    unique (program_id, idempotency_key)
  )`.execute(db);
  await sql`create index messages_due on messages (not_before, id) where status = 'queued' and channel <> 'receipt'`.execute(
    db,
  );
  // Codes and links are claimed before any campaign's backlog.
  await sql`create index messages_due_transactional on messages (not_before, id)
    where status = 'queued' and channel <> 'receipt' and purpose = 'transactional'`.execute(db);
  await sql`create index messages_sending on messages (sending_at) where status = 'sending'`.execute(db);
  await sql`create index messages_by_customer on messages (customer_id, id)`.execute(db);
  await sql`create index messages_failed_with_fallback on messages (failed_at)
    where status = 'failed' and fallback <> '[]'::jsonb`.execute(db);
  await sql`create index messages_by_previous on messages (previous_message_id) where previous_message_id is not null`.execute(
    db,
  );
  await sql`create index messages_marketing on messages (customer_id, not_before)
    where purpose = 'marketing' and status <> 'skipped'`.execute(db);
  await sql`create index messages_program_marketing on messages (program_id, not_before)
    where purpose = 'marketing' and status <> 'skipped'`.execute(db);
  await sql`create index messages_by_campaign on messages (program_id, campaign, id) where campaign is not null`.execute(
    db,
  );
  await sql`create index messages_by_provider_id on messages (provider_id, provider_message_id)
    where provider_message_id is not null`.execute(db);
  await sql`create index messages_receipt on messages (customer_id, id) where status = 'queued' and channel = 'receipt'`.execute(
    db,
  );

  await sql`create table message_events (
    id bigint generated always as identity primary key,
    message_id bigint not null references messages (id),
    kind text not null,
    at timestamptz not null,
    detail jsonb not null default '{}'::jsonb
  )`.execute(db);
  await sql`create index message_events_by_message on message_events (message_id, id)`.execute(db);

  // Receipts that arrived before the message they name had its provider id recorded (a fast callback,
  // another worker's bind): applied when that id is recorded.
  await sql`create table message_receipts_pending (
    id bigint generated always as identity primary key,
    channel text not null,
    provider_id bigint,
    provider_message_id text not null,
    kind text not null,
    at timestamptz not null,
    detail text,
    received_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index message_receipts_pending_by_id on message_receipts_pending (provider_message_id)`.execute(
    db,
  );

  await sql`create table channel_links (
    program_id bigint not null references programs (id),
    channel text not null check (channel in ('viber', 'telegram')),
    external_id text not null,
    customer_id bigint not null references customers (id),
    linked_at timestamptz not null,
    primary key (program_id, channel, external_id)
  )`.execute(db);
  await sql`create index channel_links_by_customer on channel_links (customer_id, channel)`.execute(db);
  await sql`create table channel_link_tokens (
    token_hash text primary key,
    program_id bigint not null references programs (id),
    customer_id bigint not null references customers (id),
    channel text not null check (channel in ('viber', 'telegram')),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz
  )`.execute(db);

  await sql`create table sink_messages (
    id bigint generated always as identity primary key,
    channel text not null check (channel in ('sms', 'email')),
    sender text,
    destination text not null,
    subject text,
    text text not null,
    html text,
    headers jsonb not null default '{}'::jsonb,
    received_at timestamptz not null default now()
  )`.execute(db);
}
