import type { Kysely } from 'kysely';
import type { GiftCardView } from '../../engine/gift-cards/contracts';
import { statusAt } from '../../engine/gift-cards/card-state';
import { pinMatches } from '../../engine/gift-cards/pin';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import type { Database, GiftCardKind, GiftCardStatus } from '../schema';

/** A gift card row with what its type decides about it. */
export interface GiftCardRow {
  id: number;
  programId: number;
  typeId: number;
  kind: GiftCardKind;
  number: string;
  status: GiftCardStatus;
  accountId: number | null;
  nominal: number | null;
  activatedAt: Date | null;
  expiresAt: Date | null;
  saleReference: string | null;
  activationEntryId: number | null;
  currency: string;
  secretKey: Buffer;
}

function cardQuery(db: Kysely<Database>, programId: number) {
  return db
    .selectFrom('gift_cards as g')
    .innerJoin('gift_card_types as t', 't.id', 'g.type_id')
    .select([
      'g.id',
      'g.program_id as programId',
      'g.type_id as typeId',
      't.kind',
      'g.number',
      'g.status',
      'g.account_id as accountId',
      'g.nominal',
      'g.activated_at as activatedAt',
      'g.expires_at as expiresAt',
      'g.sale_reference as saleReference',
      'g.activation_entry_id as activationEntryId',
      't.currency',
      't.secret_key as secretKey',
    ])
    .where('g.program_id', '=', programId);
}

function notFound(field: string): DomainError {
  return new DomainError('gift_card_not_found', 'no gift card with this number', 404, field);
}

/**
 * Checks the PIN of an e-certificate (plastic cards need none): 422 gift_card_pin_required or
 * gift_card_pin_invalid naming `pin`. Guessing is counted before, by the API (pin-attempts.ts).
 */
export function checkPin(card: GiftCardRow, pin: string | undefined): void {
  if (card.kind !== 'electronic') return;
  if (pin === undefined || pin.trim() === '')
    throw new DomainError('gift_card_pin_required', 'an e-certificate needs its PIN', 422, 'pin');
  if (!pinMatches(card.secretKey, card.number, pin))
    throw new DomainError('gift_card_pin_invalid', 'the PIN does not match the gift card', 422, 'pin');
}

/** The card by number, unlocked (reads). */
export async function findGiftCard(
  db: Kysely<Database>,
  programId: number,
  number: string,
  field = 'number',
): Promise<GiftCardRow> {
  const card = await cardQuery(db, programId).where('g.number', '=', number.trim()).executeTakeFirst();
  if (!card) throw notFound(field);
  return card;
}

/**
 * Locks the card row for the rest of the transaction. Every change of a card and of its balance takes
 * this lock first and the card's ledger account after it, so they never deadlock.
 */
export async function lockGiftCard(
  trx: Trx,
  programId: number,
  by: { number: string } | { id: number },
  field = 'number',
): Promise<GiftCardRow> {
  const query = cardQuery(trx, programId);
  const card = await (
    'id' in by ? query.where('g.id', '=', by.id) : query.where('g.number', '=', by.number.trim())
  )
    .forUpdate('g')
    .executeTakeFirst();
  if (!card) throw notFound(field);
  return card;
}

/** The card as the API shows it at business time `at`, with its ledger balance. */
export function giftCardView(card: GiftCardRow, balance: number, at: Date): GiftCardView {
  const status = statusAt(card, at);
  return {
    number: card.number,
    typeId: card.typeId,
    kind: card.kind,
    status,
    currency: card.currency,
    balance,
    available: status === 'active' ? balance : 0,
    activatedAt: card.activatedAt?.toISOString() ?? null,
    expiresAt: card.expiresAt?.toISOString() ?? null,
  };
}
