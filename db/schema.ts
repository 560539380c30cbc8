import type { ColumnType, Generated, Selectable } from 'kysely';
import type { CreatedAt, Json } from './schema-columns';
import type {
  ProgramTillKeyTable,
  CouponIssueTable,
  CouponTable,
  CouponUseTable,
  CouponUseCountTable,
} from './schema-coupons';
import type {
  PurchaseTable,
  PurchaseLineTable,
  PurchaseReturnTable,
  PromotionUsageTable,
  RedemptionTokenUseTable,
} from './schema-purchases';
import type {
  GiftCardTypeTable,
  GiftCardBatchTable,
  GiftCardTable,
  GiftCardPinAttemptTable,
  GiftCardSpendTable,
  GiftCardRefundTable,
} from './schema-gift-cards';
import type {
  SegmentTable,
  SegmentVersionTable,
  SegmentMembershipTable,
  SegmentListTable,
  SegmentListMemberTable,
  SegmentRefreshTable,
  SegmentListUploadTable,
  SegmentListUploadChunkTable,
  SegmentListUploadCustomerTable,
} from './schema-segments';
import type { CustomerEventIdentityTable, CustomerEventTypeTable } from './schema-events';
import type {
  ChannelLinkTable,
  ChannelLinkTokenTable,
  CustomerConsentStateTable,
  CustomerConsentTable,
  MessageEventTable,
  MessageReceiptPendingTable,
  MessageProviderTable,
  MessageTable,
  MessageTemplateTable,
  MessageTemplateVersionTable,
  SinkMessageTable,
} from './schema-messaging';

export type * from './schema-coupons';
export type * from './schema-purchases';
export type * from './schema-gift-cards';
export type * from './schema-events';
export type * from './schema-messaging';
export type * from './schema-segments';

export interface ProgramTable {
  id: Generated<number>;
  code: string;
  name: string;
  currency: string;
  time_zone: string;
  /** Program policies (engine/contracts/program-settings.ts), validated on write. */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
  /** The published promotion rule set (db/promotions/active-rule-set.ts caches it by this id). */
  active_rule_set_id: ColumnType<number | null, number | null | undefined, number | null>;
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
  /** A staff user's key: its scopes are the user's role's, its calls the user's. */
  staff_user_id: number | null;
  rate_per_minute: Generated<number>;
  rate_burst: Generated<number>;
  /** SHA-256 of the client certificate the key's calls must present, lower-case hex. */
  client_cert_sha256: string | null;
  /** The key this one replaced by rotation. */
  replaces_id: number | null;
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
  /**
   * The key of the stream the event went to: the customer id, or `anon:<anonymousId>` (before 0018, the
   * caller's free-form key).
   */
  customer_key: string;
  /** The customer; null while the visitor is anonymous (set when they identify). */
  customer_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** The anonymous visitor id the event came with, if any. */
  anonymous_id: ColumnType<string | null, string | null | undefined, string | null>;
  type: string;
  /** The event's properties (the API's `properties`), checked against its type's schema. */
  attributes: Json<Record<string, unknown>>;
  /** The version of the registered type that checked the properties; null before 0018. */
  event_type_version: ColumnType<number | null, number | null | undefined, number | null>;
  occurred_at: Date;
  recorded_at: CreatedAt;
  processed_at: Date | null;
  processed_by: string | null;
}

export interface CurrencyTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  kind: 'points' | 'money';
}

export type CustomerStatus = 'pending' | 'active' | 'left' | 'merged';

export interface CustomerTable {
  id: Generated<number>;
  program_id: number;
  status: ColumnType<CustomerStatus, CustomerStatus | undefined, CustomerStatus>;
  profile: ColumnType<Record<string, unknown>, string | undefined, string>;
  questionnaire: ColumnType<Record<string, unknown>, string | undefined, string>;
  referral_code: string;
  referred_by: number | null;
  registration_channel: string;
  registered_at: Date;
  recorded_at: CreatedAt;
  left_at: Date | null;
  merged_into: number | null;
  master_account_id: number | null;
  /** The tier code from the ladder (engine/contracts/tier-ladder.ts), and since when. */
  tier: ColumnType<string | null, string | null | undefined, string | null>;
  tier_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type IdentifierKind = 'card' | 'barcode' | 'magstripe' | 'phone' | 'email' | 'external';

export interface IdentifierTable {
  id: Generated<number>;
  program_id: number;
  kind: IdentifierKind;
  value: string;
  customer_id: number;
  card_id: number | null;
  verified_at: Date | null;
  created_at: CreatedAt;
}

export interface CardTypeTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  /** Lot dates of points earned with this card type (engine/ledger/lot-policy.ts). */
  lot_policy: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export type CardStatus = 'new' | 'active' | 'blocked' | 'closed' | 'completed';

export interface CardTable {
  id: Generated<number>;
  program_id: number;
  card_type_id: number;
  number: string;
  status: ColumnType<CardStatus, CardStatus | undefined, CardStatus>;
  status_reason: string | null;
  virtual: ColumnType<boolean, boolean | undefined, boolean>;
  customer_id: number | null;
  pool_id: number | null;
  replaced_by: number | null;
  issued_at: CreatedAt;
}

export interface MasterAccountTable {
  id: Generated<number>;
  program_id: number;
  name: string;
  kind: 'family' | 'company';
  created_at: CreatedAt;
}

export type AccountKind = 'points' | 'cash' | 'gift_card' | 'program';

export interface AccountTable {
  id: Generated<number>;
  program_id: number;
  kind: AccountKind;
  currency: string;
  customer_id: number | null;
  master_account_id: number | null;
  card_id: number | null;
  /** Program accounts only: issuance, redemption, expiry, adjustment, conversion, … */
  role: string | null;
  /** The journal projection: sum of this account's journal lines. */
  balance: ColumnType<number, number | undefined, number>;
  /** What a clawback left unpaid; new accruals repay it first. */
  debt: ColumnType<number, number | undefined, number>;
  /** Points accounts: what its lots lost to the expiry job, the sum of its `expire` lot movements. */
  burnt: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
}

export interface JournalEntryTable {
  id: Generated<number>;
  program_id: number;
  kind: string;
  occurred_at: Date;
  recorded_at: CreatedAt;
  actor: string;
  reason: string | null;
  reverses: number | null;
  details: Json<Record<string, unknown>>;
}

export interface JournalLineTable {
  id: Generated<number>;
  entry_id: number;
  account_id: number;
  currency: string;
  amount: number;
  /** The entry's business time. */
  occurred_at: Date;
}

export interface LotTable {
  id: Generated<number>;
  account_id: number;
  entry_id: number;
  /** Business time of the entry that created it: it held nothing before. */
  occurred_at: Date;
  amount: number;
  remaining: number;
  activates_at: Date;
  expires_at: Date | null;
  /** Set by the activation job once `activates_at` has passed (the balance never waits for it). */
  activated_at: Date | null;
  burnt_at: Date | null;
}

export interface LotMovementTable {
  id: Generated<number>;
  entry_id: number;
  lot_id: number;
  /** The lot's account and the entry's business time. */
  account_id: number;
  occurred_at: Date;
  /** Change of the lot's remaining amount: negative when drawn from, positive when restored. */
  amount: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  program_id: number;
  actor: string;
  action: string;
  subject: string;
  changes: Json<Record<string, unknown>>;
  occurred_at: Date;
  recorded_at: CreatedAt;
}

export interface CardTemplateTable {
  id: Generated<number>;
  program_id: number;
  card_type_id: number;
  code: string;
  prefix: string;
  length: number;
  luhn: boolean;
  /** The key of the template's number permutation: which numbers the sequence indexes become. */
  secret_key: Buffer;
  next_index: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
}

export interface CardPoolTable {
  id: Generated<number>;
  template_id: number;
  start_index: number;
  count: number;
  virtual: boolean;
  created_at: CreatedAt;
}

export interface CardStatusHistoryTable {
  id: Generated<number>;
  card_id: number;
  from_status: CardStatus;
  to_status: CardStatus;
  reason: string | null;
  actor: string;
  occurred_at: Date;
  recorded_at: CreatedAt;
}

export interface OneTimeCodeTable {
  id: Generated<number>;
  program_id: number;
  customer_id: number;
  purpose: string;
  channel: 'phone' | 'email';
  destination: string;
  /** The hashed code's state (engine/customers/one-time-code.ts): never the code itself. */
  record: Json<Record<string, unknown>>;
  created_at: Date;
}

export interface ActivationTokenTable {
  token_hash: string;
  program_id: number;
  customer_id: number;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

export interface StoreGroupTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface StoreGroupMemberTable {
  group_id: number;
  store_id: number;
}

export interface ProductTable {
  program_id: number;
  sku: string;
  name: string;
  /** Category path from the root, e.g. {dairy,milk}. */
  category: ColumnType<string[], string[] | undefined, string[]>;
  brand: string | null;
  supplier: string | null;
  /** The product may never be paid with points (tobacco, alcohol, gift cards …). */
  no_redemption: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type RuleSetStatus = 'draft' | 'published' | 'archived';

export interface PromotionRuleSetTable {
  id: Generated<number>;
  program_id: number;
  /** 1, 2, … per program; a rule set's rules never change once written. */
  version: number;
  status: ColumnType<RuleSetStatus, RuleSetStatus | undefined, RuleSetStatus>;
  /** The rules as written (engine/pricing/rules.ts), validated on write and again on publish. */
  rules: Json<unknown[]>;
  note: string | null;
  created_by: string;
  created_at: CreatedAt;
  published_at: Date | null;
}

export interface TierLadderTable {
  program_id: number;
  /** The ladder (engine/contracts/tier-ladder.ts), validated on write. */
  ladder: Json<Record<string, unknown>>;
  updated_by: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** The start of the period the last periodic review covered. */
  last_reviewed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
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
  customer_event_types: CustomerEventTypeTable;
  customer_event_identities: CustomerEventIdentityTable;
  segments: SegmentTable;
  segment_versions: SegmentVersionTable;
  segment_memberships: SegmentMembershipTable;
  segment_lists: SegmentListTable;
  segment_list_members: SegmentListMemberTable;
  segment_refreshes: SegmentRefreshTable;
  segment_list_uploads: SegmentListUploadTable;
  segment_list_upload_chunks: SegmentListUploadChunkTable;
  segment_list_upload_customers: SegmentListUploadCustomerTable;
  currencies: CurrencyTable;
  customers: CustomerTable;
  identifiers: IdentifierTable;
  card_types: CardTypeTable;
  cards: CardTable;
  master_accounts: MasterAccountTable;
  accounts: AccountTable;
  journal_entries: JournalEntryTable;
  journal_lines: JournalLineTable;
  lots: LotTable;
  lot_movements: LotMovementTable;
  audit_log: AuditLogTable;
  card_templates: CardTemplateTable;
  card_pools: CardPoolTable;
  card_status_history: CardStatusHistoryTable;
  one_time_codes: OneTimeCodeTable;
  activation_tokens: ActivationTokenTable;
  program_till_keys: ProgramTillKeyTable;
  coupon_issues: CouponIssueTable;
  coupons: CouponTable;
  coupon_uses: CouponUseTable;
  coupon_use_counts: CouponUseCountTable;
  store_groups: StoreGroupTable;
  store_group_members: StoreGroupMemberTable;
  products: ProductTable;
  promotion_rule_sets: PromotionRuleSetTable;
  tier_ladders: TierLadderTable;
  purchases: PurchaseTable;
  purchase_lines: PurchaseLineTable;
  purchase_returns: PurchaseReturnTable;
  promotion_usage: PromotionUsageTable;
  redemption_token_uses: RedemptionTokenUseTable;
  gift_card_types: GiftCardTypeTable;
  gift_card_batches: GiftCardBatchTable;
  gift_cards: GiftCardTable;
  gift_card_spends: GiftCardSpendTable;
  gift_card_pin_attempts: GiftCardPinAttemptTable;
  gift_card_refunds: GiftCardRefundTable;
  message_providers: MessageProviderTable;
  message_templates: MessageTemplateTable;
  message_template_versions: MessageTemplateVersionTable;
  customer_consents: CustomerConsentTable;
  customer_consent_state: CustomerConsentStateTable;
  messages: MessageTable;
  message_events: MessageEventTable;
  message_receipts_pending: MessageReceiptPendingTable;
  channel_links: ChannelLinkTable;
  channel_link_tokens: ChannelLinkTokenTable;
  sink_messages: SinkMessageTable;
}

export type OutboxRow = Selectable<OutboxTable>;
