import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from './schema-columns';

/** Tables of coupon issues, their coupons and uses, and the till key of the offline check. */

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
