import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export interface ProgramTable {
  id: Generated<number>;
  code: string;
  name: string;
  currency: string;
  time_zone: string;
  created_at: CreatedAt;
}

export interface PartnerTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface StoreTable {
  id: Generated<number>;
  partner_id: number;
  code: string;
  name: string;
  time_zone: string;
  created_at: CreatedAt;
}

export interface StaffUserTable {
  id: Generated<number>;
  program_id: number;
  login: string;
  password_hash: string;
  role: 'admin' | 'marketer' | 'agent' | 'analyst';
  created_at: CreatedAt;
}

export interface ApiKeyTable {
  id: Generated<number>;
  program_id: number;
  partner_id: number | null;
  store_id: number | null;
  label: string;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: Json<unknown>;
  created_at: CreatedAt;
}

export interface OutboxTable {
  id: Generated<number>;
  event_id: string;
  program_id: number;
  /** Events of one stream (one customer, say) are delivered in id order. */
  stream: string;
  type: string;
  payload: Json<Record<string, unknown>>;
  request_id: string | null;
  occurred_at: Date;
  recorded_at: CreatedAt;
  dispatched_at: Date | null;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
}

export interface CustomerEventTable {
  id: Generated<number>;
  event_id: string;
  program_id: number;
  customer_key: string;
  type: string;
  attributes: Json<Record<string, unknown>>;
  occurred_at: Date;
  recorded_at: CreatedAt;
  processed_at: Date | null;
  processed_by: string | null;
}

export interface Database {
  programs: ProgramTable;
  partners: PartnerTable;
  stores: StoreTable;
  staff_users: StaffUserTable;
  api_keys: ApiKeyTable;
  idempotency_keys: IdempotencyKeyTable;
  outbox: OutboxTable;
  customer_events: CustomerEventTable;
}

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
