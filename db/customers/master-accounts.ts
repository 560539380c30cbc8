import type { Kysely } from 'kysely';
import { DomainError } from '../../engine/errors';
import { moveAccounts, type MovedAccount } from '../ledger/move-account';
import type { Trx } from '../ledger/store';
import type { Database } from '../schema';
import { customerAccount } from './accounts';
import { recordAudit } from '../audit';

export async function createMasterAccount(
  db: Kysely<Database>,
  input: { programId: number; name: string; kind: 'family' | 'company' },
): Promise<number> {
  const { id } = await db
    .insertInto('master_accounts')
    .values({ program_id: input.programId, name: input.name, kind: input.kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * A customer joins a master account (family, company): from then on every operation on any of the
 * members' cards uses the pooled accounts, and the customer's own points and cash move into the pool
 * with their lots, dates and debt.
 */
export async function joinMasterAccount(
  trx: Trx,
  input: { programId: number; customerId: number; masterAccountId: number; occurredAt: Date; actor: string },
): Promise<{ moved: MovedAccount[] }> {
  const master = await trx
    .selectFrom('master_accounts')
    .select('id')
    .where('id', '=', input.masterAccountId)
    .where('program_id', '=', input.programId)
    .executeTakeFirst();
  if (!master)
    throw new DomainError('master_account_not_found', 'no such master account', 404, 'masterAccountId');
  const customer = await trx
    .selectFrom('customers')
    .select('master_account_id')
    .where('id', '=', input.customerId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (customer.master_account_id !== null) {
    throw new DomainError(
      'already_pooled',
      'the customer already belongs to a master account',
      409,
      'customer',
    );
  }
  const own = await trx
    .selectFrom('accounts')
    .select(['id', 'kind', 'currency'])
    .where('customer_id', '=', input.customerId)
    .where('kind', 'in', ['points', 'cash'])
    .execute();
  await trx
    .updateTable('customers')
    .set({ master_account_id: input.masterAccountId })
    .where('id', '=', input.customerId)
    .execute();
  const pairs = [];
  for (const account of own) {
    const to = await customerAccount(
      trx,
      input.customerId,
      account.kind as 'points' | 'cash',
      account.currency,
    );
    pairs.push({ from: account.id, to });
  }
  const moved = await moveAccounts(trx, pairs, {
    programId: input.programId,
    kind: 'pool',
    occurredAt: input.occurredAt,
    actor: input.actor,
    reason: `customer ${input.customerId} joined master account ${input.masterAccountId}`,
    details: { masterAccountId: input.masterAccountId, customerId: input.customerId },
  });
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'customer.pool',
    subject: `customer:${input.customerId}`,
    changes: { masterAccountId: input.masterAccountId, moved },
    occurredAt: input.occurredAt,
  });
  return { moved };
}
