import type { ColumnType, Generated, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

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
  customer_key: string;
  type: string;
  attributes: Json<Record<string, unknown>>;
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
}

export interface LotTable {
  id: Generated<number>;
  account_id: number;
  entry_id: number;
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

export interface ProgramTillKeyTable {
  program_id: number;
  /** Keys the offline check of coupon codes (engine/coupons/code-pattern.ts); tills hold a copy. */
  till_key: Buffer;
  created_at: CreatedAt;
}

export type CouponIssueKind = 'single_use' | 'promo_code';

export interface CouponIssueTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  kind: CouponIssueKind;
  /** The code pattern (engine/coupons/code-pattern.ts), validated on write. */
  pattern: ColumnType<Record<string, unknown>, string, string>;
  /** The key of the issue's code permutation: which codes the sequence indexes become. */
  secret_key: Buffer;
  next_index: ColumnType<number, number | undefined, number>;
  max_uses_total: number | null;
  max_uses_per_customer: number | null;
  activation_delay_seconds: ColumnType<number, number | undefined, number>;
  lifetime_seconds: number | null;
  image_url: string | null;
  short_description: string | null;
  long_description: string | null;
  created_at: CreatedAt;
}

export type CouponStatus = 'issued' | 'active' | 'reserved' | 'redeemed' | 'expired' | 'cancelled';

export interface CouponTable {
  id: Generated<number>;
  issue_id: number;
  program_id: number;
  /** Normalised (engine/coupons/code-pattern.ts normalizeCode). */
  code: string;
  customer_id: number | null;
  status: ColumnType<CouponStatus, CouponStatus | undefined, CouponStatus>;
  issued_at: CreatedAt;
  activates_at: Date | null;
  expires_at: Date | null;
  reserved_until: Date | null;
  reserved_by: string | null;
  redeemed_at: Date | null;
  uses: ColumnType<number, number | undefined, number>;
  /** The transaction that last changed its validity, for the tills' delta (db/coupons/till-config.ts). */
  changed_xid: number | null;
  imported: ColumnType<boolean, boolean | undefined, never>;
  /** The purchase (holder reference) whose promotion issued the coupon. */
  issued_by: string | null;
}

export type CouponUseStatus = 'reserved' | 'redeemed' | 'released' | 'restored';

export interface CouponUseTable {
  id: Generated<number>;
  program_id: number;
  coupon_id: number;
  issue_id: number;
  customer_id: number | null;
  /** The purchase reference using the coupon. */
  holder: string;
  status: CouponUseStatus;
  reserved_until: Date | null;
  redeemed_at: Date | null;
  /** Business time of the last change. */
  changed_at: Date;
  recorded_at: CreatedAt;
}

export interface CouponUseCountTable {
  issue_id: number;
  /** 0: all customers. */
  customer_id: number;
  redeemed: number;
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

export interface PurchaseTable {
  id: Generated<number>;
  program_id: number;
  store_id: number;
  customer_id: number | null;
  account_id: number | null;
  external_ref: string;
  status: ColumnType<'confirmed' | 'cancelled', 'confirmed' | undefined, 'cancelled'>;
  occurred_at: Date;
  local_date_time: string;
  recorded_at: CreatedAt;
  amount: number;
  discount: number;
  final_amount: number;
  returned_amount: ColumnType<number, number | undefined, number>;
  /** final_amount less the lines outside promotions (gift cards sold): what counts towards spend. */
  qualifying_amount: ColumnType<number, number | undefined, number>;
  points_spent: number;
  points_earned: number;
  rule_set_version: number | null;
  offline: ColumnType<boolean, boolean | undefined, boolean>;
  /** The check as evaluated and the engine's result (engine/contracts/purchases.ts). */
  check: Json<Record<string, unknown>>;
  result: Json<Record<string, unknown>>;
  payments: Json<unknown[]>;
  cancelled_at: Date | null;
  cancel_recorded_at: Date | null;
}

export interface PurchaseLineTable {
  purchase_id: number;
  line: number;
  customer_id: number | null;
  store_id: number;
  occurred_at: Date;
  sku: string;
  category: string[];
  brand: string | null;
  supplier: string | null;
  unit_price: number;
  quantity: number;
  weighted: boolean;
  final_amount: number;
  /** A line outside promotions (a gift card sold): counts towards no spend. */
  excluded: ColumnType<boolean, boolean | undefined, boolean>;
  returned_quantity: ColumnType<number, number | undefined, number>;
}

export interface PurchaseReturnTable {
  id: Generated<number>;
  purchase_id: number;
  return_ref: string;
  occurred_at: Date;
  recorded_at: CreatedAt;
  units: Json<{ line: number; units: number[] }[]>;
  reversal: Json<Record<string, unknown>>;
}

export interface PromotionUsageTable {
  program_id: number;
  rule_id: string;
  /** 0: the totals over all customers. */
  customer_id: number;
  uses: ColumnType<number, number | undefined, number>;
  discount: ColumnType<number, number | undefined, number>;
  points: ColumnType<number, number | undefined, number>;
  first_used_at: Date | null;
}

export type GiftCardKind = 'plastic' | 'electronic';

export interface GiftCardTypeTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  kind: GiftCardKind;
  /** The program's money currency when the type was created. */
  currency: string;
  /** Fixed nominals in minor units, or null for an open amount within min_amount … max_amount. */
  nominals: number[] | null;
  min_amount: number | null;
  max_amount: number | null;
  validity_days: number;
  prefix: string;
  length: number;
  luhn: boolean;
  /** The key of the type's number permutation and of its e-certificates' PINs. */
  secret_key: Buffer;
  next_index: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
}

export interface GiftCardBatchTable {
  id: Generated<number>;
  program_id: number;
  type_id: number;
  start_index: number;
  count: number;
  created_by: string;
  created_at: CreatedAt;
}

export type GiftCardStatus = 'inactive' | 'active' | 'blocked' | 'expired';

export interface GiftCardTable {
  id: Generated<number>;
  program_id: number;
  type_id: number;
  batch_id: number | null;
  number: string;
  status: ColumnType<GiftCardStatus, GiftCardStatus | undefined, GiftCardStatus>;
  status_reason: string | null;
  /** The card's ledger account (kind gift_card), created at activation: the balance lives there. */
  account_id: number | null;
  nominal: number | null;
  activated_at: Date | null;
  expires_at: Date | null;
  sale_reference: string | null;
  store_id: number | null;
  activated_by: string | null;
  activation_entry_id: number | null;
  created_at: CreatedAt;
}

export interface GiftCardSpendTable {
  id: Generated<number>;
  program_id: number;
  card_id: number;
  /** What the money paid for (a purchase id, a web order): one spend per card and holder. */
  holder: string;
  amount: number;
  refunded: ColumnType<number, number | undefined, number>;
  entry_id: number;
  occurred_at: Date;
  created_at: CreatedAt;
}

export interface GiftCardRefundTable {
  id: Generated<number>;
  spend_id: number;
  reference: string;
  amount: number;
  entry_id: number;
  occurred_at: Date;
  created_at: CreatedAt;
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
  gift_card_types: GiftCardTypeTable;
  gift_card_batches: GiftCardBatchTable;
  gift_cards: GiftCardTable;
  gift_card_spends: GiftCardSpendTable;
  gift_card_refunds: GiftCardRefundTable;
}

export type OutboxRow = Selectable<OutboxTable>;
