import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { assertBalanced, netLines, type JournalLine } from '../../engine/ledger/journal';
import type { BalanceView, Lot, LotDraw } from '../../engine/ledger/lots';
import { queryTemplate } from '../query-template';
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

/** The locked account and the program's counter-account for one role in its currency. */
export interface LockedWithCounter {
  account: LockedAccount;
  /** The role of the counter-account: a lock handed on serves only an operation of that role. */
  role: string;
  counterId: number;
}

/** The locking statement of {@link lockAccountWithCounter}, built once (it runs in every ledger operation). */
const lockWithCounter = queryTemplate((db, v: { accountId: number; programId: number; role: string }) =>
  db
    .selectFrom('accounts as a')
    .select((eb) => [
      'a.id',
      'a.program_id as programId',
      'a.kind',
      'a.currency',
      'a.balance',
      'a.debt',
      eb
        .selectFrom('accounts as p')
        .select('p.id')
        .where('p.program_id', '=', v.programId)
        // A literal, so that a generic plan can use the partial index of program accounts.
        .where('p.kind', '=', sql.lit('program'))
        .where('p.role', '=', v.role)
        .whereRef('p.currency', '=', 'a.currency')
        .as('counterId'),
    ])
    .where('a.id', '=', v.accountId)
    .forUpdate('a'),
);

/**
 * Locks the account and, in the same round trip, finds the program's counter-account for `role` in the
 * account's currency. Counter-accounts never change once created, so reading one in the locking
 * statement's snapshot is safe; a missing one is created through {@link programAccount}.
 */
export async function lockAccountWithCounter(
  trx: Trx,
  accountId: number,
  programId: number,
  role: string,
): Promise<LockedWithCounter> {
  const [row] = (await trx.executeQuery(lockWithCounter(trx, { accountId, programId, role }))).rows;
  if (!row) throw new Error(`account ${accountId} does not exist`);
  const { counterId, ...account } = row;
  return {
    account,
    role,
    counterId: counterId ?? (await programAccount(trx, programId, role, account.currency)),
  };
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

/**
 * What a spend needs of an account's lots at `at`, without shipping every open lot: the spendable lots
 * in spend order (soonest expiry, never-expiring last, then oldest, then id) up to the first that brings
 * their sum to `need` (all of them when they fall short), and the totals of all its open lots. Draws
 * planned on these lots for at most `need` less the debt are those planned on all of them.
 */
export async function spendableLots(
  trx: Trx,
  accountId: number,
  at: Date,
  need: number,
): Promise<{ lots: Lot[]; totals: LotTotals }> {
  const rows = await runStatement<
    LotTotals & { id: number | null; remaining: number; activates_at: Date; expires_at: Date | null }
  >(trx, 'loyalflow_ledger_spendable', { account_id: accountId, at, need });
  const { spendable, pending, expired } = rows[0]!;
  return {
    lots: rows.flatMap((r) =>
      r.id === null
        ? []
        : [{ id: r.id, remaining: r.remaining, activatesAt: r.activates_at, expiresAt: r.expires_at }],
    ),
    totals: { spendable, pending, expired },
  };
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

/** An account's open lot points at a business time, split as {@link balanceAt} splits them. */
export interface LotTotals {
  spendable: number;
  pending: number;
  expired: number;
}

/** The balance view from lot totals and the debt: the same figures {@link balanceAt} gives for the lots. */
export function viewOfTotals(totals: LotTotals, debt: number): BalanceView {
  const { spendable, pending, expired } = totals;
  return {
    balance: spendable + pending + expired - debt,
    available: Math.max(0, spendable - debt),
    pending,
    expired,
    debt,
  };
}

const input = `input as (select $1::jsonb as j)`;

/**
 * The entry, its lines, the customer-side projections, lot movements and new lots in data-modifying
 * CTEs of one statement, written only when `guard` holds. `draws` selects the lot movements (`lot_id`,
 * `amount`, `ord`): the ones given in the input, or ones the statement plans.
 */
function entryCtes(guard: string, draws: string) {
  return `
  entry as (
    insert into journal_entries (program_id, kind, occurred_at, actor, reason, reverses, details)
    select (j->>'program_id')::bigint, j->>'kind', (j->>'occurred_at')::timestamptz, j->>'actor', j->>'reason',
           (j->>'reverses')::bigint, j->'details'
    from input where ${guard}
    returning id
  ),
  line as (
    select l.* from entry, input,
      jsonb_to_recordset(input.j->'lines') as l(account_id bigint, currency text, amount bigint)
  ),
  written as (
    insert into journal_lines (entry_id, account_id, currency, amount)
    select entry.id, line.account_id, line.currency, line.amount from entry, line
  ),
  projected as (
    update accounts set balance = accounts.balance + (select sum(amount) from line where line.account_id = accounts.id)
    where accounts.id = any(array(select account_id from line)) and accounts.kind <> 'program'
  ),
  draw as (${draws}),
  drawn as (
    insert into lot_movements (entry_id, lot_id, amount) select entry.id, draw.lot_id, -draw.amount from entry, draw
  ),
  emptied as (
    update lots set remaining = lots.remaining - (select sum(amount) from draw where draw.lot_id = lots.id)
    where lots.id = any(array(select lot_id from draw)) and exists (select from entry)
  ),
  fresh as (
    select n.* from input, jsonb_to_recordset(input.j->'new_lots')
      as n(account_id bigint, amount bigint, activates_at timestamptz, expires_at timestamptz)
  ),
  created as (
    insert into lots (account_id, entry_id, amount, remaining, activates_at, expires_at)
    select fresh.account_id, entry.id, fresh.amount, fresh.amount, fresh.activates_at, fresh.expires_at
    from entry, fresh
  )`;
}

/** An entry as given: always written, with the draws of the input. */
const givenEntry = entryCtes(
  'true',
  `select d.*, 0 as ord from input, jsonb_to_recordset(input.j->'draws') as d(lot_id bigint, amount bigint)`,
);

/**
 * The open lots of `account_id` at `at`: their totals, and the spendable ones in spend order (soonest
 * expiry, never-expiring last, then oldest, then id) with the points before each in that order.
 */
const lotQueue = `
  totals as (
    select coalesce(sum(remaining) filter (where activates_at <= of.at and not coalesce(expires_at <= of.at, false)), 0)::bigint as spendable,
           coalesce(sum(remaining) filter (where activates_at > of.at and not coalesce(expires_at <= of.at, false)), 0)::bigint as pending,
           coalesce(sum(remaining) filter (where expires_at <= of.at), 0)::bigint as expired
    from (select (j->>'at')::timestamptz as at from input) of, lots
    where lots.account_id = (select (j->>'account_id')::bigint from input) and lots.remaining > 0
  ),
  queue as (
    select id, remaining, activates_at, expires_at,
           (sum(remaining) over (order by expires_at, activates_at, id) - remaining)::bigint as before
    from lots
    where account_id = (select (j->>'account_id')::bigint from input) and remaining > 0
      and activates_at <= (select (j->>'at')::timestamptz from input)
      and not coalesce(expires_at <= (select (j->>'at')::timestamptz from input), false)
  )`;

/**
 * The ledger's hot statements. Each takes the JSON input as its one parameter, so its text never
 * changes and every connection prepares it once (db/prepared-statements.ts). Each reads the lots as
 * they were before it: a statement does not see its own changes.
 */
const statements = {
  loyalflow_ledger_entry: `with ${input}, ${givenEntry}
    select id from entry`,
  /** Also the lot totals of `totals_of` at `at` after the entry: its draws and new lots applied. */
  loyalflow_ledger_entry_totals: `with ${input}, ${givenEntry},
  of as (select (j->>'totals_of')::bigint as account_id, (j->>'at')::timestamptz as at from input)
    select entry.id,
      coalesce(sum(v.remaining) filter (where v.activates_at <= v.at and not coalesce(v.expires_at <= v.at, false)), 0)::bigint as spendable,
      coalesce(sum(v.remaining) filter (where v.activates_at > v.at and not coalesce(v.expires_at <= v.at, false)), 0)::bigint as pending,
      coalesce(sum(v.remaining) filter (where v.expires_at <= v.at), 0)::bigint as expired
    from entry left join (
      select lots.remaining - coalesce(taken.amount, 0) as remaining, lots.activates_at, lots.expires_at, of.at
      from of
      join lots on lots.account_id = of.account_id and lots.remaining > 0
      left join (select lot_id, sum(amount) as amount from draw group by lot_id) taken on taken.lot_id = lots.id
      union all
      select fresh.amount, fresh.activates_at, fresh.expires_at, of.at from of join fresh on fresh.account_id = of.account_id
    ) v on true
    group by entry.id`,
  /** The spendable lots before which fewer than `need` points come, and the totals. */
  loyalflow_ledger_spendable: `with ${input}, ${lotQueue}
    select totals.*, queue.id, queue.remaining, queue.activates_at, queue.expires_at
    from totals left join queue on queue.before < (select (j->>'need')::bigint from input)
    order by queue.before`,
  /**
   * A spend of `amount` from `account_id` at `at`: written only when the spendable lots less `debt`
   * cover it, drawing from the lots in spend order; answers the draws and the totals before them.
   */
  loyalflow_ledger_spend: `with ${input}, ${lotQueue},
  decision as (
    select totals.spendable - (j->>'debt')::bigint >= (j->>'amount')::bigint as ok, (j->>'amount')::bigint as amount
    from totals, input
  ),
  ${entryCtes(
    '(select ok from decision)',
    `select queue.id as lot_id, least(queue.remaining, decision.amount - queue.before) as amount, queue.before as ord
     from queue, decision where decision.ok and queue.before < decision.amount`,
  )}
    select (select id from entry) as id, totals.*,
      coalesce((select json_agg(json_build_object('lotId', lot_id, 'amount', amount) order by ord) from draw), '[]') as draws
    from totals`,
};
type StatementName = keyof typeof statements;

/** Runs a ledger statement with its JSON input. */
async function runStatement<R>(trx: Trx, name: StatementName, payload: unknown): Promise<R[]> {
  return (await trx.executeQuery<R>(CompiledQuery.raw(statements[name], [JSON.stringify(payload)]))).rows;
}

function entryPayload(entry: EntryInput) {
  const lines = netLines(entry.lines);
  assertBalanced(lines);
  return {
    program_id: entry.programId,
    kind: entry.kind,
    occurred_at: entry.occurredAt,
    actor: entry.actor,
    reason: entry.reason ?? null,
    reverses: entry.reverses ?? null,
    details: entry.details ?? {},
    lines: lines.map((l) => ({ account_id: l.accountId, currency: l.currency, amount: l.amount })),
    draws: (entry.draws ?? []).map((d) => ({ lot_id: d.lotId, amount: d.amount })),
    new_lots: (entry.newLots ?? []).map((l) => ({
      account_id: l.accountId,
      amount: l.amount,
      activates_at: l.activatesAt,
      expires_at: l.expiresAt,
    })),
  };
}

/**
 * Writes a balanced entry and moves the customer-side balance projections with it. Program accounts
 * keep no projection (their balance is the sum of their lines), so concurrent entries never queue on
 * one hot program row.
 */
export async function postEntry(trx: Trx, entry: EntryInput): Promise<number> {
  const [row] = await runStatement<{ id: number }>(trx, 'loyalflow_ledger_entry', entryPayload(entry));
  return row!.id;
}

/**
 * {@link postEntry}, returning also the lot totals at `at` of one account the caller holds locked, as
 * they are after the entry: from the same statement, so without a further round trip.
 */
export async function postEntryWithTotals(
  trx: Trx,
  entry: EntryInput,
  of: { accountId: number; at: Date },
): Promise<{ entryId: number; totals: LotTotals }> {
  const [row] = await runStatement<{ id: number } & LotTotals>(trx, 'loyalflow_ledger_entry_totals', {
    ...entryPayload(entry),
    totals_of: of.accountId,
    at: of.at,
  });
  const { id, ...totals } = row!;
  return { entryId: id, totals };
}

/**
 * Spends `amount` from an account the caller holds locked, with `debt` its debt: in one statement, when
 * the spendable lots less the debt cover it, draws from them soonest-expiring first (as the engine's
 * `planSpend` does) and writes the entry. Answers no entry when they do not cover it, and the lot totals
 * at `at` before the draws either way.
 */
export async function postSpend(
  trx: Trx,
  entry: Omit<EntryInput, 'draws' | 'newLots'>,
  spend: { accountId: number; at: Date; amount: number; debt: number },
): Promise<{ entryId: number | null; draws: LotDraw[]; totals: LotTotals }> {
  const [row] = await runStatement<{ id: number | null; draws: LotDraw[] } & LotTotals>(
    trx,
    'loyalflow_ledger_spend',
    {
      ...entryPayload(entry),
      account_id: spend.accountId,
      at: spend.at,
      amount: spend.amount,
      debt: spend.debt,
    },
  );
  const { id, draws, ...totals } = row!;
  return { entryId: id, draws, totals };
}

export async function setDebt(trx: Trx, accountId: number, debt: number): Promise<void> {
  await trx.updateTable('accounts').set({ debt }).where('id', '=', accountId).execute();
}
