import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from './schema-columns';

/** Tables of gift cards and e-certificates: types, printed batches, cards, spends and refunds. */

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

/** Guesses of an e-certificate's PIN since the last right one (db/gift-cards/pin-attempts.ts). */
export interface GiftCardPinAttemptTable {
  card_id: number;
  /** Wrong (or not yet compared) PINs in a row; back to 0 when the card locks. */
  failures: number;
  /** Until when the card takes no PIN. */
  locked_until: Date | null;
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
