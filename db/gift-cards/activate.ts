import { sql } from 'kysely';
import { assertPositiveAmount } from '../../engine/ledger/lots';
import { checkActivationAmount, giftCardExpiry } from '../../engine/gift-cards/gift-card-type';
import type { GiftCardView } from '../../engine/gift-cards/contracts';
import { giftCardPin } from '../../engine/gift-cards/pin';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import { giftCardView, lockGiftCard, type GiftCardRow } from './cards';
import { accountBalance, giftCardRoles, moveGiftCardMoney } from './money';
import { reserveGiftCardNumbers } from './types';

export interface ActivateGiftCardInput {
  programId: number;
  /** A plastic card from a printed batch … */
  number?: string;
  /** … or an e-certificate type: a number and PIN are generated. */
  typeId?: number;
  /** Minor units paid for the card: one of the type's nominals or within its range. */
  amount: number;
  /** The sale line that sold the card: one activation per reference, a repeat answers the first. */
  saleReference: string;
  /** Business time of the sale; the validity runs from it. */
  at: Date;
  actor: string;
  storeId?: number | null;
}

export type ActivatedGiftCard = GiftCardView & { entryId: number; pin?: string };

function activated(card: GiftCardRow, balance: number, at: Date): ActivatedGiftCard {
  return {
    ...giftCardView(card, balance, at),
    entryId: card.activationEntryId!,
    ...(card.kind === 'electronic' ? { pin: giftCardPin(card.secretKey, card.number) } : {}),
  };
}

/** The activation already made for this sale reference, when it asks the same. */
async function earlierActivation(trx: Trx, input: ActivateGiftCardInput): Promise<ActivatedGiftCard | null> {
  // Two tills activating under one reference at once: the second waits here and then finds the first.
  const lockKey = `gift-card-sale:${input.programId}:${input.saleReference}`;
  await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`.execute(trx);
  const earlier = await trx
    .selectFrom('gift_cards')
    .select('id')
    .where('program_id', '=', input.programId)
    .where('sale_reference', '=', input.saleReference)
    .executeTakeFirst();
  if (!earlier) return null;
  const card = await lockGiftCard(trx, input.programId, { id: earlier.id });
  const same =
    card.nominal === input.amount &&
    (input.number === undefined || input.number.trim() === card.number) &&
    (input.typeId === undefined || input.typeId === card.typeId);
  if (!same) {
    throw new DomainError(
      'gift_card_sale_reference_conflict',
      'this sale reference activated another card or amount',
      409,
      'saleReference',
    );
  }
  return activated(card, await accountBalance(trx, card.accountId), input.at);
}

/** A plastic card that may be sold: inactive and not blocked. */
async function plasticCard(trx: Trx, programId: number, number: string): Promise<GiftCardRow> {
  const card = await lockGiftCard(trx, programId, { number });
  if (card.status === 'inactive' && card.kind === 'plastic') return card;
  if (card.status === 'blocked')
    throw new DomainError('gift_card_blocked', 'the gift card is blocked', 422, 'number');
  throw new DomainError('gift_card_already_active', 'the gift card was sold already', 409, 'number');
}

/** A new e-certificate of the type, numbered by the type's template. */
async function newCertificate(trx: Trx, programId: number, typeId: number): Promise<GiftCardRow> {
  const { type, numbers } = await reserveGiftCardNumbers(trx, programId, typeId, 1);
  if (type.kind !== 'electronic') {
    throw new DomainError(
      'gift_card_type_plastic',
      'plastic cards are activated by their number: give number, not typeId',
      422,
      'typeId',
    );
  }
  const row = await trx
    .insertInto('gift_cards')
    .values({ program_id: programId, type_id: type.id, number: numbers[0]! })
    .onConflict((oc) => oc.columns(['program_id', 'number']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) {
    throw new DomainError(
      'gift_card_number_taken',
      'the next number of this type belongs to another gift card type with the same prefix',
      409,
      'typeId',
    );
  }
  return lockGiftCard(trx, programId, { id: row.id });
}

/**
 * Sells a card at the till: a plastic card by its number, or a new e-certificate of a type. Its
 * account is credited with `amount` against the program's gift card sales account, and it is valid
 * from `at` for the type's days. Idempotent per sale reference. Runs in the caller's transaction (the
 * purchase flow sells cards as purchase lines).
 */
export async function activateGiftCard(trx: Trx, input: ActivateGiftCardInput): Promise<ActivatedGiftCard> {
  assertPositiveAmount(input.amount);
  const earlier = await earlierActivation(trx, input);
  if (earlier) return earlier;
  let card: GiftCardRow;
  if (input.number !== undefined) card = await plasticCard(trx, input.programId, input.number);
  else if (input.typeId !== undefined) card = await newCertificate(trx, input.programId, input.typeId);
  else throw new DomainError('gift_card_number_required', 'give number or typeId', 422, 'number');

  const terms = await trx
    .selectFrom('gift_card_types')
    .select(['nominals', 'min_amount', 'max_amount', 'validity_days'])
    .where('id', '=', card.typeId)
    .executeTakeFirstOrThrow();
  const validity = { validityDays: terms.validity_days };
  checkActivationAmount(
    {
      ...validity,
      nominals: terms.nominals?.map(Number) ?? null,
      minAmount: terms.min_amount,
      maxAmount: terms.max_amount,
    },
    input.amount,
  );
  const account = await trx
    .insertInto('accounts')
    .values({ program_id: input.programId, kind: 'gift_card', currency: card.currency })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { entryId, balance } = await moveGiftCardMoney(trx, {
    programId: input.programId,
    accountId: account.id,
    amount: input.amount,
    role: giftCardRoles.sales,
    kind: 'gift_card.activate',
    occurredAt: input.at,
    actor: input.actor,
    details: { giftCardId: card.id, saleReference: input.saleReference, storeId: input.storeId ?? null },
  });
  const expiresAt = giftCardExpiry(validity, input.at);
  await trx
    .updateTable('gift_cards')
    .set({
      status: 'active',
      account_id: account.id,
      nominal: input.amount,
      activated_at: input.at,
      expires_at: expiresAt,
      sale_reference: input.saleReference,
      store_id: input.storeId ?? null,
      activated_by: input.actor,
      activation_entry_id: entryId,
    })
    .where('id', '=', card.id)
    .execute();
  const now = {
    ...card,
    status: 'active' as const,
    accountId: account.id,
    nominal: input.amount,
    activatedAt: input.at,
    expiresAt,
    saleReference: input.saleReference,
    activationEntryId: entryId,
  };
  return activated(now, balance, input.at);
}
