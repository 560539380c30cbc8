import { sql, type Kysely } from 'kysely';
import type { Payment } from '../../engine/contracts/purchases';
import { pinLockout, pinMatches } from '../../engine/gift-cards/pin';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';

/**
 * The PIN guard of e-certificates. A wrong PIN counts as a guess, in a statement of its own (not in the
 * command's transaction, which a wrong PIN rolls back), and the guess that reaches
 * `pinLockout.failures` in a row locks the card for `pinLockout.lockSeconds` from `now`, the recording
 * clock. The count and the lock are one conditional upsert, so parallel wrong guesses cannot slip past
 * the lock: each takes its place in the count, and those after the lock are refused uncounted. A right
 * PIN counts nothing (honest payers at many tills at once never lock a card), clears the count, and is
 * refused only while a lock stands. The API guards every PIN it is given (balance, spend, confirm,
 * offline sync) before the command runs; the command compares the PIN again.
 */
export async function guardPin(
  db: Kysely<Database>,
  input: {
    programId: number;
    number: string;
    pin: string | undefined;
    now: Date;
    field: string;
    /** Whether the call replays one answered already: its PIN was guarded then, and is not guessed again. */
    replayed?: () => Promise<boolean>;
  },
): Promise<void> {
  const card = await db
    .selectFrom('gift_cards as g')
    .innerJoin('gift_card_types as t', 't.id', 'g.type_id')
    .select(['g.id', 'g.number', 't.kind', 't.secret_key'])
    .where('g.program_id', '=', input.programId)
    .where('g.number', '=', input.number.trim())
    .executeTakeFirst();
  // An unknown card, or a plastic one (no PIN), is the command's to answer.
  if (!card || card.kind !== 'electronic') return;
  if (input.pin === undefined || input.pin.trim() === '') {
    throw new DomainError('gift_card_pin_required', 'an e-certificate needs its PIN', 422, input.field);
  }
  if (await input.replayed?.()) return;
  if (pinMatches(card.secret_key, card.number, input.pin)) {
    // A right PIN is no guess: it clears the count unless a lock stands, and then it is refused too.
    const cleared = await db
      .deleteFrom('gift_card_pin_attempts')
      .where('card_id', '=', card.id)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', input.now)]))
      .returning('card_id')
      .executeTakeFirst();
    const until = cleared ? null : await lockOf(db, card.id);
    if (until && until > input.now) throw lockedOut(until, input.now, input.field);
    return;
  }
  const lockUntil = new Date(input.now.getTime() + pinLockout.lockSeconds * 1000);
  const counted = await db
    .insertInto('gift_card_pin_attempts')
    .values({ card_id: card.id, failures: 1, locked_until: null })
    .onConflict((oc) =>
      oc
        .column('card_id')
        .doUpdateSet({
          failures: sql<number>`case when gift_card_pin_attempts.failures + 1 >= ${pinLockout.failures}
            then 0 else gift_card_pin_attempts.failures + 1 end`,
          locked_until: sql<Date | null>`case when gift_card_pin_attempts.failures + 1 >= ${pinLockout.failures}
            then ${lockUntil}::timestamptz end`,
        })
        .where((eb) =>
          eb.or([
            eb('gift_card_pin_attempts.locked_until', 'is', null),
            eb('gift_card_pin_attempts.locked_until', '<=', input.now),
          ]),
        ),
    )
    .returning('failures')
    .executeTakeFirst();
  // Refused uncounted: the lock stands (read apart, since it may have ended meanwhile).
  if (!counted) throw lockedOut(await lockOf(db, card.id), input.now, input.field);
  throw new DomainError('gift_card_pin_invalid', 'the PIN does not match the gift card', 422, input.field);
}

async function lockOf(db: Kysely<Database>, cardId: number): Promise<Date | null> {
  const row = await db
    .selectFrom('gift_card_pin_attempts')
    .select('locked_until')
    .where('card_id', '=', cardId)
    .executeTakeFirst();
  return row?.locked_until ?? null;
}

function lockedOut(until: Date | null, now: Date, field: string): DomainError {
  const wait = until ? Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)) : 1;
  return new DomainError(
    'gift_card_pin_locked',
    `too many wrong PINs: the card takes none until ${until?.toISOString() ?? 'later'}`,
    429,
    field,
    wait,
  );
}

/** Guards the PIN of every gift card payment of a check (see {@link guardPin}). */
export async function guardPaymentPins(
  db: Kysely<Database>,
  input: { programId: number; payments: readonly Payment[]; now: Date; replayed?: () => Promise<boolean> },
): Promise<void> {
  for (const [i, payment] of input.payments.entries()) {
    if (payment.type !== 'giftCard' || !payment.giftCard) continue;
    await guardPin(db, {
      programId: input.programId,
      number: payment.giftCard.number,
      pin: payment.giftCard.pin,
      now: input.now,
      field: `payments.${i}.giftCard.pin`,
      ...(input.replayed ? { replayed: input.replayed } : {}),
    });
  }
}
