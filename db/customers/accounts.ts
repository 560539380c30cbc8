import type { AccountKind } from '../schema';
import type { Trx } from '../ledger/store';

/**
 * The account a customer's operations use for a kind and currency: the master account's when the
 * customer belongs to one (a family or company pool), else the customer's own; created on first use.
 */
export async function customerAccount(
  trx: Trx,
  customerId: number,
  kind: Exclude<AccountKind, 'program' | 'gift_card'>,
  currency: string,
): Promise<number> {
  const customer = await trx
    .selectFrom('customers')
    .select(['program_id', 'master_account_id'])
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  const owner = customer.master_account_id
    ? { column: 'master_account_id' as const, id: customer.master_account_id }
    : { column: 'customer_id' as const, id: customerId };
  const existing = await trx
    .selectFrom('accounts')
    .select('id')
    .where(owner.column, '=', owner.id)
    .where('kind', '=', kind)
    .where('currency', '=', currency)
    .executeTakeFirst();
  if (existing) return existing.id;
  const inserted = await trx
    .insertInto('accounts')
    .values({ program_id: customer.program_id, kind, currency, [owner.column]: owner.id })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const row = await trx
    .selectFrom('accounts')
    .select('id')
    .where(owner.column, '=', owner.id)
    .where('kind', '=', kind)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  return row.id;
}
