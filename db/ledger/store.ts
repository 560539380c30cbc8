import { sql, type Kysely, type Transaction } from 'kysely';
import { assertBalanced, netLines, type JournalLine } from '../../engine/ledger/journal';
import type { Lot, LotDraw } from '../../engine/ledger/lots';
import type { AccountKind, Database } from '../schema';

export type Trx = Transaction<Database>;

export interface LockedAccount {
  id: number;
  programId: number;
  kind: AccountKind;
  currency: string;
  balance: number;
  debt: number;
}

function accountQuery(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('accounts')
    .select(['id', 'program_id as programId', 'kind', 'currency', 'balance', 'debt'])
    .where('id', '=', accountId);
}

/** Locks the account row for the rest of the transaction: every balance change goes through this. */
export async function lockAccount(trx: Trx, accountId: number): Promise<LockedAccount> {
  return accountQuery(trx, accountId).forUpdate().executeTakeFirstOrThrow();
}

/**
 * Locks several accounts in id order, as every multi-account operation must, so two of them working on
 * the same accounts in opposite directions cannot deadlock.
 */
export async function lockAccountsInOrder(
  trx: Trx,
  accountIds: Iterable<number>,
): Promise<Map<number, LockedAccount>> {
  const locked = new Map<number, LockedAccount>();
  for (const id of [...new Set(accountIds)].sort((a, b) => a - b)) locked.set(id, await lockAccount(trx, id));
  return locked;
}

/** The account as it is now, without a lock (reads, or re-reads inside a transaction that holds it). */
export async function readAccount(db: Kysely<Database>, accountId: number): Promise<LockedAccount> {
  return accountQuery(db, accountId).executeTakeFirstOrThrow();
}

/** The open lots of an account (remaining > 0). */
export async function openLots(trx: Kysely<Database>, accountId: number): Promise<Lot[]> {
  const rows = await trx
    .selectFrom('lots')
    .select(['id', 'remaining', 'activates_at', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('remaining', '>', 0)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    remaining: r.remaining,
    activatesAt: r.activates_at,
    expiresAt: r.expires_at,
  }));
}

/** The program's counter-account for a role and currency (issuance, redemption, expiry, …), created on first use. */
export async function programAccount(
  trx: Trx,
  programId: number,
  role: string,
  currency: string,
): Promise<number> {
  // One round trip: create if missing, else read the existing row.
  const { rows } = await sql<{ id: number }>`
    with created as (
      insert into accounts (program_id, kind, currency, role) values (${programId}, 'program', ${currency}, ${role})
      on conflict (program_id, role, currency) where kind = 'program' do nothing
      returning id
    )
    select id from created
    union all
    select id from accounts where program_id = ${programId} and kind = 'program' and role = ${role} and currency = ${currency}
    limit 1`.execute(trx);
  if (rows[0]) return rows[0].id;
  // Another transaction created it after this statement's snapshot was taken: read it again.
  const row = await trx
    .selectFrom('accounts')
    .select('id')
    .where('program_id', '=', programId)
    .where('kind', '=', 'program')
    .where('role', '=', role)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface EntryInput {
  programId: number;
  kind: string;
  /** Business time: when it happened at the till or in the back office. */
  occurredAt: Date;
  actor: string;
  reason?: string | null;
  reverses?: number | null;
  details?: Record<string, unknown>;
  lines: JournalLine[];
  /** Points this entry takes out of lots (spending, expiry, clawback): recorded as lot movements. */
  draws?: readonly LotDraw[];
  /** Lots this entry creates (an accrual, the receiving side of a transfer). */
  newLots?: ReadonlyArray<{ accountId: number; amount: number; activatesAt: Date; expiresAt: Date | null }>;
}

/**
 * Writes a balanced entry and moves the customer-side balance projections with it. Program accounts
 * keep no projection (their balance is the sum of their lines), so concurrent entries never queue on
 * one hot program row.
 */
export async function postEntry(trx: Trx, entry: EntryInput): Promise<number> {
  const lines = netLines(entry.lines);
  assertBalanced(lines);
  const draws = entry.draws ?? [];
  const newLots = entry.newLots ?? [];
  // One round trip: the entry, its lines, the customer-side projections, lot movements and new lots,
  // in data-modifying CTEs.
  const { rows } = await sql<{ id: number }>`
    with entry as (
      insert into journal_entries (program_id, kind, occurred_at, actor, reason, reverses, details)
      values (${entry.programId}, ${entry.kind}, ${entry.occurredAt}, ${entry.actor}, ${entry.reason ?? null},
              ${entry.reverses ?? null}, ${JSON.stringify(entry.details ?? {})}::jsonb)
      returning id
    ),
    line as (
      select * from unnest(${lines.map((l) => l.accountId)}::bigint[], ${lines.map((l) => l.currency)}::text[],
                           ${lines.map((l) => l.amount)}::bigint[]) as l(account_id, currency, amount)
    ),
    written as (
      insert into journal_lines (entry_id, account_id, currency, amount)
      select entry.id, line.account_id, line.currency, line.amount from entry, line
    ),
    projected as (
      update accounts set balance = accounts.balance + line.amount
      from line where accounts.id = line.account_id and accounts.kind <> 'program'
    ),
    draw as (
      select * from unnest(${draws.map((d) => d.lotId)}::bigint[], ${draws.map((d) => d.amount)}::bigint[])
        as d(lot_id, amount)
    ),
    drawn as (
      insert into lot_movements (entry_id, lot_id, amount) select entry.id, draw.lot_id, -draw.amount from entry, draw
    ),
    emptied as (
      update lots set remaining = lots.remaining - draw.amount from draw where lots.id = draw.lot_id
    ),
    created as (
      insert into lots (account_id, entry_id, amount, remaining, activates_at, expires_at)
      select n.account_id, entry.id, n.amount, n.amount, n.activates_at, n.expires_at
      from entry, unnest(${newLots.map((l) => l.accountId)}::bigint[], ${newLots.map((l) => l.amount)}::bigint[],
                         ${newLots.map((l) => l.activatesAt.toISOString())}::timestamptz[],
                         ${newLots.map((l) => l.expiresAt?.toISOString() ?? null)}::timestamptz[])
        as n(account_id, amount, activates_at, expires_at)
    )
    select id from entry`.execute(trx);
  return rows[0]!.id;
}

export async function setDebt(trx: Trx, accountId: number, debt: number): Promise<void> {
  await trx.updateTable('accounts').set({ debt }).where('id', '=', accountId).execute();
}
