import type { ColumnType, Generated } from 'kysely';
import type { ChannelKind, MessagePurpose, MessageStatus } from '../engine/messaging/contracts';
import type { CreatedAt, Json } from './schema-columns';

/** Tables of messaging (0021): providers, templates, consents, the message log, bot links, the sink. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type ProviderChannel = Exclude<ChannelKind, 'receipt'>;
type BotChannel = 'viber' | 'telegram';

export interface MessageProviderTable {
  id: Generated<number>;
  program_id: number;
  channel: ProviderChannel;
  name: string;
  /** What may be shown: host, port, sender id, window, rate, base URL (engine/messaging/providers.ts). */
  settings: Json<Record<string, unknown>>;
  /** Passwords and tokens, sealed (db/messaging/sealed.ts); never returned by the API. */
  credentials: string;
  priority: ColumnType<number, number | undefined, number>;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by: string;
}

export interface MessageTemplateTable {
  id: Generated<number>;
  program_id: number;
  key: string;
  purpose: MessagePurpose;
  topic: string | null;
  version: ColumnType<number, number | undefined, number>;
  status: ColumnType<'active' | 'archived', 'active' | 'archived' | undefined, 'active' | 'archived'>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by: string;
}

export interface MessageTemplateVersionTable {
  template_id: number;
  version: number;
  /** Per channel, per locale: subject, text, html, image, button (engine/messaging/template-content.ts). */
  content: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  created_by: string;
}

export interface CustomerConsentTable {
  id: Generated<number>;
  program_id: number;
  customer_id: number;
  channel: ChannelKind;
  /** A marketing topic, or `all`. */
  topic: string;
  granted: boolean;
  /** `api`, `web`, `registration`, `link` (unsubscribe link), `reply` (STOP), `provider`, `import`. */
  source: string;
  actor: string;
  occurred_at: Timestamp;
  recorded_at: CreatedAt;
}

export interface CustomerConsentStateTable {
  customer_id: number;
  channel: ChannelKind;
  topic: string;
  program_id: number;
  granted: boolean;
  occurred_at: Timestamp;
  consent_id: number;
}

export interface MessageTable {
  id: Generated<number>;
  program_id: number;
  customer_id: number | null;
  channel: ChannelKind;
  provider_id: number | null;
  purpose: MessagePurpose;
  topic: string | null;
  /** `one-time-code`, `activation-link`, `template`, `text`, `link-channel`. */
  kind: string;
  template_id: number | null;
  template_version: number | null;
  locale: string | null;
  /** `journey:12`, `campaign:spring-sale`: what sent it, for per-campaign reports. */
  campaign: string | null;
  idempotency_key: string;
  destination: string;
  subject: string | null;
  body: string;
  html: string | null;
  sealed_body: string | null;
  /** Image, button, extra headers. */
  payload: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: ColumnType<MessageStatus, MessageStatus | undefined, MessageStatus>;
  reason: string | null;
  /** Channels still to try, in order, when this one cannot deliver. */
  fallback: ColumnType<ChannelKind[], string | undefined, string>;
  previous_message_id: number | null;
  one_time_code_id: number | null;
  not_before: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  provider_message_id: string | null;
  parts: number | null;
  tracking_token: string | null;
  /** The business time of what caused it (the registration, the journey step). */
  occurred_at: Timestamp;
  queued_at: CreatedAt;
  sending_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  opened_at: NullableTimestamp;
  clicked_at: NullableTimestamp;
  seen_at: NullableTimestamp;
}

/** A receipt whose message had no provider id yet when it came (migration 0021). */
export interface MessageReceiptPendingTable {
  id: Generated<number>;
  channel: ChannelKind;
  provider_id: number | null;
  provider_message_id: string;
  kind: 'delivered' | 'failed' | 'seen';
  at: Timestamp;
  detail: string | null;
  received_at: CreatedAt;
}

export interface MessageEventTable {
  id: Generated<number>;
  message_id: number;
  /** A status (`sending`, `sent`...), or `opened`, `clicked`, `seen`, `fallback`, `retry`. */
  kind: string;
  at: Timestamp;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface ChannelLinkTable {
  program_id: number;
  channel: BotChannel;
  /** The Viber user id or the Telegram chat id. */
  external_id: string;
  customer_id: number;
  linked_at: Timestamp;
}

export interface ChannelLinkTokenTable {
  token_hash: string;
  program_id: number;
  customer_id: number;
  channel: BotChannel;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface SinkMessageTable {
  id: Generated<number>;
  channel: 'sms' | 'email';
  sender: string | null;
  destination: string;
  subject: string | null;
  text: string;
  html: string | null;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  received_at: CreatedAt;
}
