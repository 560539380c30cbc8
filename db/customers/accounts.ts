import { sql, type Kysely } from 'kysely';
import type { AccountKind, Database } from '../schema';
import type { Trx } from '../ledger/store';

type CustomerAccountKind = Exclude<AccountKind, 'program' | 'gift_card'>;

/**
 * The account {@link customerAccount} would use, or null when it does not exist yet: for reads, which
 * never create one.
 */
export async function findCustomerAccount(
  db: Kysely<Database>,
  customerId: number,
  kind: CustomerAccountKind,
  currency: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('customers as c')
    .innerJoin('accounts as a', (join) =>
      join.on(
        sql<boolean>`case when c.master_account_id is null then a.customer_id = c.id
          else a.master_account_id = c.master_account_id end`,
      ),
    )
    .select('a.id')
    .where('c.id', '=', customerId)
    .where('a.kind', '=', kind)
    .where('a.currency', '=', currency)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * The account a customer's operations use for a kind and currency: the master account's when the
 * customer belongs to one (a family or company pool), else the customer's own; created on first use.
 */
export async function customerAccount(
  trx: Trx,
  customerId: number,
  kind: CustomerAccountKind,
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
