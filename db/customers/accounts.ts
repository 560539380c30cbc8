import { sql, type Kysely } from 'kysely';
import type { AccountKind, Database } from '../schema';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';

type CustomerAccountKind = Exclude<AccountKind, 'program' | 'gift_card'>;

/** Whose accounts a customer's operations use: the master account's (a pool), else the customer's own. */
async function ownerOf(db: Kysely<Database>, customerId: number, hold = false) {
  const query = db
    .selectFrom('customers')
    .select(['program_id', 'master_account_id', 'status'])
    .where('id', '=', customerId);
  const customer = await (hold ? query.forShare() : query).executeTakeFirstOrThrow();
  if (hold && customer.status === 'merged') {
    throw new DomainError(
      'try_again',
      'the customer was merged into another while this call ran; send it again',
      409,
      'customer',
    );
  }
  return {
    programId: customer.program_id,
    column: customer.master_account_id ? ('master_account_id' as const) : ('customer_id' as const),
    id: customer.master_account_id ?? customerId,
  };
}

/**
 * The owner's account of a kind and currency, or null. The kind is written as a literal: the unique
 * indexes on accounts are partial (`kind <> 'gift_card'`), and a generic plan of a prepared statement
 * can use them only when the kind is known.
 */
async function ownedAccount(
  db: Kysely<Database>,
  owner: Awaited<ReturnType<typeof ownerOf>>,
  kind: CustomerAccountKind,
  currency: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where(owner.column, '=', owner.id)
    .where('kind', '=', sql.lit(kind))
    .where('currency', '=', currency)
    .executeTakeFirst();
  return row?.id ?? null;
}

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
  return ownedAccount(db, await ownerOf(db, customerId), kind, currency);
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
  let owner = await ownerOf(trx, customerId);
  const existing = await ownedAccount(trx, owner, kind, currency);
  if (existing !== null) return existing;
  // Opening one: the customer is held (SHARE waits for a merge's or pool join's lock on the row) and
  // read again, so an account is never opened for a customer merged away or pooled meanwhile.
  owner = await ownerOf(trx, customerId, true);
  const opened = await ownedAccount(trx, owner, kind, currency);
  if (opened !== null) return opened;
  const inserted = await trx
    .insertInto('accounts')
    .values({ program_id: owner.programId, kind, currency, [owner.column]: owner.id })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  // Another transaction opened it first: its row is the one.
  return inserted?.id ?? (await ownedAccount(trx, owner, kind, currency))!;
}
