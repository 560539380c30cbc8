import { DomainError } from '../../engine/errors';
import { planMove } from '../../engine/ledger/lots';
import { lockAccount, openLots, postEntry, programAccount, type Trx } from '../ledger/store';
import { appendToOutbox, customerStream } from '../outbox';
import { recordAudit } from '../audit';

/**
 * A customer leaves the program: points are forfeited (one entry per account, lots not expired by then
 * emptied; expired ones stay for the expiry job, so they stay expired, never forfeited), cards
 * close, the customer stays as a `left` record — its phone keeps counting for the program's join limit.
 * Refused while stored value remains: that money is paid out first.
 */
export async function leaveProgram(
  trx: Trx,
  input: { programId: number; customerId: number; occurredAt: Date; actor: string; reason: string },
): Promise<{ forfeited: number }> {
  const customer = await trx
    .selectFrom('customers')
    .select(['status', 'master_account_id'])
    .where('id', '=', input.customerId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (customer.status === 'left' || customer.status === 'merged') {
    throw new DomainError('customer_not_active', `the customer is ${customer.status}`, 409, 'customer');
  }
  const accounts = await trx
    .selectFrom('accounts')
    .select(['id', 'kind'])
    .where('customer_id', '=', input.customerId)
    .orderBy('id')
    .execute();
  let forfeited = 0;
  for (const { id, kind } of accounts) {
    const account = await lockAccount(trx, id);
    if ((kind === 'cash' || kind === 'gift_card') && account.balance > 0) {
      throw new DomainError(
        'cash_balance_remaining',
        `${account.balance} ${account.currency} must be paid out first`,
        409,
        'customer',
      );
    }
    if (kind !== 'points') continue;
    const draws = planMove(await openLots(trx, id), input.occurredAt);
    const total = draws.reduce((sum, d) => sum + d.amount, 0);
    if (total === 0) continue;
    const counter = await programAccount(trx, input.programId, 'forfeit', account.currency);
    await postEntry(trx, {
      programId: input.programId,
      kind: 'forfeit',
      occurredAt: input.occurredAt,
      actor: input.actor,
      reason: input.reason,
      lines: [
        { accountId: id, currency: account.currency, amount: -total },
        { accountId: counter, currency: account.currency, amount: total },
      ],
      draws,
    });
    forfeited += total;
  }
  await trx
    .updateTable('cards')
    .set({ status: 'closed', status_reason: 'customer left the program' })
    .where('customer_id', '=', input.customerId)
    .where('status', 'in', ['active', 'blocked'])
    .execute();
  await trx
    .updateTable('customers')
    .set({ status: 'left', left_at: input.occurredAt })
    .where('id', '=', input.customerId)
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'customer.leave',
    subject: `customer:${input.customerId}`,
    changes: { reason: input.reason, forfeited },
    occurredAt: input.occurredAt,
  });
  await appendToOutbox(trx, {
    programId: input.programId,
    stream: customerStream(input.programId, String(input.customerId)),
    type: 'customer.left',
    payload: { customerId: input.customerId, forfeited },
    occurredAt: input.occurredAt,
  });
  return { forfeited };
}
