import { sql, type Kysely } from 'kysely';
import { pinLockout } from '../../engine/gift-cards/pin';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';

/**
 * A wrong PIN for an e-certificate. The refusal rolls back the command that checked it, so the miss is
 * counted afterwards, outside it, by {@link countPinMismatch}: the API's error handler and the offline
 * sync do that with every PinMismatch they see.
 */
export class PinMismatch extends DomainError {
  constructor(readonly giftCardId: number) {
    super('gift_card_pin_invalid', 'the PIN does not match the gift card', 422, 'pin');
  }
}

/**
 * Counts a wrong PIN in its own statement (commits on its own): the card locks for
 * `pinLockout.lockSeconds` from `now` (the recording clock) at the `pinLockout.failures`-th in a row.
 */
export async function countPinMismatch(db: Kysely<Database>, error: PinMismatch, now: Date): Promise<void> {
  const lockUntil = new Date(now.getTime() + pinLockout.lockSeconds * 1000);
  await db
    .updateTable('gift_cards')
    .set((eb) => ({
      pin_failures: sql<number>`case when ${eb.ref('pin_failures')} + 1 >= ${pinLockout.failures} then 0
        else ${eb.ref('pin_failures')} + 1 end`,
      pin_locked_until: sql<Date | null>`case when ${eb.ref('pin_failures')} + 1 >= ${pinLockout.failures}
        then ${lockUntil}::timestamptz else ${eb.ref('pin_locked_until')} end`,
    }))
    .where('id', '=', error.giftCardId)
    .execute();
}
