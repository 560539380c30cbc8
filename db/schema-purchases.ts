import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Json } from './schema-columns';

/** Tables of purchases at the till: the per-unit breakdown, lines, returns and promotion usage. */

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

/** A redemption token's nonce, recorded by the confirm it paid. */
export interface RedemptionTokenUseTable {
  nonce: string;
  customer_id: number;
  used_at: CreatedAt;
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
