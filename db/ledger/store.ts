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

/** A lot row as the engine sees it. */
interface LotRow {
  id: number;
  remaining: number;
  activates_at: Date;
  expires_at: Date | null;
  occurred_at: Date;
  activated_at: Date | null;
}

const lotOf = (r: LotRow): Lot => ({
  id: r.id,
  remaining: r.remaining,
  activatesAt: r.activates_at,
  expiresAt: r.expires_at,
  createdAt: r.occurred_at,
  activatedAt: r.activated_at,
});

/** The query of {@link openLots}. */
export const openLotsQuery = queryTemplate((db, v: { accountId: number }) =>
  db
    .selectFrom('lots')
    .select(['id', 'remaining', 'activates_at', 'expires_at', 'occurred_at', 'activated_at'])
    .where('account_id', '=', v.accountId)
    // A literal, so that a generic plan can use the partial indexes of open lots.
    .where('remaining', '>', sql.lit(0)),
);

/** The open lots of an account (remaining > 0). */
export async function openLots(trx: Kysely<Database>, accountId: number): Promise<Lot[]> {
  const { rows } = await trx.executeQuery(openLotsQuery(trx, { accountId }));
  return rows.map(lotOf);
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
    .where('kind', '=', sql.lit('program'))
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
  newLots?: ReadonlyArray<{
    accountId: number;
    amount: number;
    activatesAt: Date;
    expiresAt: Date | null;
    /** Moved points keep their activation (see `receivedLots`); earned ones have none yet. */
    activatedAt: Date | null;
  }>;
}

/**
 * An account's points as of a business time, from the journal and the lot movements dated up to then:
 * its lots' points split by their dates (`expired`: every point that expired by then, burnt or not) and
 * the debt, what the lots held beyond the journal's balance. Read as the current projection less what
 * is dated after that time (see {@link asOfCtes}).
 */
export interface AsOfTotals {
  spendable: number;
  pending: number;
  expired: number;
  debt: number;
}

/** The balance view of {@link AsOfTotals}: lots past expiry are out of `balance` and `available`. */
export function viewAsOf({ spendable, pending, expired, debt }: AsOfTotals): BalanceView {
  return {
    balance: spendable + pending - debt,
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
    returning id, occurred_at
  ),
  line as (
    select l.* from entry, input,
      jsonb_to_recordset(input.j->'lines') as l(account_id bigint, currency text, amount bigint)
  ),
  written as (
    insert into journal_lines (entry_id, account_id, currency, amount, occurred_at)
    select entry.id, line.account_id, line.currency, line.amount, entry.occurred_at from entry, line
  ),
  projected as (
    update accounts set balance = accounts.balance + (select sum(amount) from line where line.account_id = accounts.id),
      burnt = accounts.burnt - case when (select j->>'kind' from input) = 'expire'
        then (select sum(amount) from line where line.account_id = accounts.id) else 0 end
    where accounts.id = any(array(select account_id from line)) and accounts.kind <> 'program'
  ),
  draw as (${draws}),
  drawn as (
    insert into lot_movements (entry_id, lot_id, account_id, occurred_at, amount)
    select entry.id, draw.lot_id, (select account_id from lots where lots.id = draw.lot_id), entry.occurred_at,
      -draw.amount
    from entry, draw
  ),
  emptied as (
    update lots set remaining = lots.remaining - (select sum(amount) from draw where draw.lot_id = lots.id)
    where lots.id = any(array(select lot_id from draw)) and exists (select from entry)
  ),
  fresh as (
    select n.* from input, jsonb_to_recordset(input.j->'new_lots')
      as n(account_id bigint, amount bigint, activates_at timestamptz, expires_at timestamptz, activated_at timestamptz)
  ),
  created as (
    insert into lots (account_id, entry_id, occurred_at, amount, remaining, activates_at, expires_at, activated_at)
    select fresh.account_id, entry.id, entry.occurred_at, fresh.amount, fresh.amount, fresh.activates_at,
      fresh.expires_at, fresh.activated_at
    from entry, fresh
  )`;
}

/** An entry as given: always written, with the draws of the input. */
const givenEntry = entryCtes(
  'true',
  `select d.*, 0 as ord from input, jsonb_to_recordset(input.j->'draws') as d(lot_id bigint, amount bigint)`,
);

/** The spend order's key of lot `l`: soonest expiry, never-expiring last, then oldest, then id. */
const spendKey = (l: string) => `coalesce(${l}.expires_at, 'infinity'), ${l}.activates_at, ${l}.id`;

/**
 * The first spendable lot of `account_id` at `at` in spend order that meets `after`: active, not expired
 * and created by then (a lot created after `at` was not there). One step down the `lots_queue` index
 * (the input is read in subqueries: a join would hide the index's order).
 */
const nextLot = (after: string) => `(
    select l.id, l.remaining, l.activates_at, l.expires_at, l.occurred_at, l.activated_at
    from lots l
    where l.account_id = (select (j->>'account_id')::bigint from input) and l.remaining > 0 and ${after}
      and coalesce(l.expires_at, 'infinity') > (select (j->>'at')::timestamptz from input)
      and l.activates_at <= (select (j->>'at')::timestamptz from input)
      and l.occurred_at <= (select (j->>'at')::timestamptz from input)
    order by ${spendKey('l')}
    limit 1)`;

/**
 * The spendable lots of `account_id` at `at` in spend order, with the points before each, walked one
 * lot at a time until they reach `need` (all of them when they fall short): a spend reads the lots it
 * draws from, not every open lot. Needs `with recursive`.
 */
const lotQueue = (need: string) => `
  queue(id, remaining, activates_at, expires_at, occurred_at, activated_at, before) as (
    select head.*, 0::bigint from ${nextLot('true')} head
    union all
    select step.*, queue.before + queue.remaining from queue
    cross join lateral ${nextLot(`(${spendKey('l')}) > (${spendKey('queue')})`)} step
    where queue.before + queue.remaining < ${need}
  )`;

/** The account `key` of the input as of its business time (`occurred_at`, else `at`), for {@link asOfCtes}. */
const asOfEntry = (key: string) =>
  `of as (select (j->>'${key}')::bigint as account_id, coalesce(j->>'occurred_at', j->>'at')::timestamptz as at from input)`;

/**
 * The {@link AsOfTotals} of `of.account_id` at `of.at` as CTE `as_of`: the account's projection now
 * (its lots hold `balance + debt`, its lots lost `burnt` to expiry) less what is dated after `of.at` —
 * lots created, lot movements and journal lines, each read through its (account, business time) index —
 * and split by the dates of the few lots that can be pending or expired then (open ones activating or
 * expired by then, and those moved since). So an operation at about now reads next to nothing, however
 * long the history. With `entry`, the statement's own entry (dated `of.at`, its `draw`, `fresh` and
 * `line` rows) counts too: a statement does not see its own changes.
 */
function asOfCtes(entry: boolean): string {
  return `
  account as (select a.balance, a.debt, a.burnt from of join accounts a on a.id = of.account_id),
  late_lots as (
    select l.id, l.remaining from of join lots l on l.account_id = of.account_id and l.occurred_at > of.at
  ),
  late_moves as (
    select m.lot_id, sum(m.amount) as amount, coalesce(sum(m.amount) filter (where e.kind = 'expire'), 0) as burnt
    from of join lot_movements m on m.account_id = of.account_id and m.occurred_at > of.at
    join journal_entries e on e.id = m.entry_id
    group by m.lot_id
  ),
  ${
    entry
      ? `own_draws as (
    select draw.lot_id, sum(draw.amount) as amount
    from of, entry, draw
    where (select l.account_id = of.account_id and l.occurred_at <= of.at from lots l where l.id = draw.lot_id)
    group by draw.lot_id
  ),`
      : ''
  }
  touched as (
    select lot_id as id from late_moves
    union select l.id from of join lots l on l.account_id = of.account_id and l.remaining > 0 and l.activates_at > of.at
    union select l.id from of join lots l
      on l.account_id = of.account_id and l.remaining > 0 and coalesce(l.expires_at, 'infinity') <= of.at
  ),
  held as (
    select l.activates_at, l.expires_at,
      l.remaining - coalesce(late_moves.amount, 0) ${entry ? '- coalesce(own_draws.amount, 0)' : ''} as points
    from of join touched on true join lots l on l.id = touched.id and l.occurred_at <= of.at
    left join late_moves on late_moves.lot_id = l.id
    ${entry ? 'left join own_draws on own_draws.lot_id = l.id' : ''}
    ${entry ? 'union all select fresh.activates_at, fresh.expires_at, fresh.amount from of, fresh, entry where fresh.account_id = of.account_id' : ''}
  ),
  totals as (
    select
      account.balance + account.debt
        - coalesce((select sum(remaining) from late_lots), 0)
        - coalesce((select sum(amount) from late_moves where lot_id not in (select id from late_lots)), 0)
        ${
          entry
            ? `+ coalesce((select sum(amount) from fresh, entry where fresh.account_id = of.account_id), 0)
        - coalesce((select sum(amount) from own_draws), 0)`
            : ''
        } as points,
      account.balance
        - coalesce((select sum(jl.amount) from journal_lines jl
          where jl.account_id = of.account_id and jl.occurred_at > of.at), 0)
        ${entry ? '+ coalesce((select sum(amount) from line where line.account_id = of.account_id), 0)' : ''} as journal,
      account.burnt + coalesce((select sum(burnt) from late_moves), 0) as burnt,
      coalesce((select sum(points) from held
        where activates_at > of.at and not coalesce(expires_at <= of.at, false)), 0) as pending,
      coalesce((select sum(points) from held where expires_at <= of.at), 0) as expired
    from of, account
  ),
  as_of as (
    select (points - pending - expired)::bigint as spendable, pending::bigint, (burnt + expired)::bigint as expired,
      (points - journal)::bigint as debt
    from totals
  )`;
}

/**
 * The ledger's hot statements. Each takes the JSON input as its one parameter, so its text never
 * changes and every connection prepares it once (db/prepared-statements.ts). Each reads the lots as
 * they were before it: a statement does not see its own changes.
 */
const statements = {
  loyalflow_ledger_entry: `with ${input}, ${givenEntry}
    select id from entry`,
  /** Also the lot totals of `totals_of` at `at` after the entry: its draws and new lots applied. */
  loyalflow_ledger_entry_totals: `with ${input}, ${givenEntry}, ${asOfEntry('totals_of')}, ${asOfCtes(true)}
    select entry.id, as_of.spendable, as_of.pending, as_of.expired, as_of.debt from entry, as_of`,
  /**
   * A spend of `amount` from `account_id` at `at`: written only when the spendable lots less `debt`
   * cover it, drawing from the lots in spend order; answers the draws, the account as of `at` after
   * them and the spendable points the walk found (all of them when it was refused).
   */
  loyalflow_ledger_spend: `with recursive ${input},
  ${lotQueue("(select (j->>'amount')::bigint + (j->>'debt')::bigint from input)")},
  decision as (
    select (select coalesce(sum(remaining), 0) from queue) - (j->>'debt')::bigint >= (j->>'amount')::bigint as ok,
      (j->>'amount')::bigint as amount
    from input
  ),
  ${entryCtes(
    '(select ok from decision)',
    `select queue.id as lot_id, least(queue.remaining, decision.amount - queue.before) as amount, queue.before as ord
     from queue, decision where decision.ok and queue.before < decision.amount`,
  )}, ${asOfEntry('account_id')}, ${asOfCtes(true)}
    select (select id from entry) as id, as_of.spendable, as_of.pending, as_of.expired, as_of.debt,
      coalesce((select json_agg(json_build_object('lotId', lot_id, 'amount', amount) order by ord) from draw), '[]') as draws,
      (select coalesce(sum(remaining), 0) from queue)::bigint as walked
    from as_of`,
  /** The account `account_id` as of `at`. */
  loyalflow_ledger_balance: `with ${input}, ${asOfEntry('account_id')}, ${asOfCtes(false)}
    select spendable, pending, expired, debt from as_of`,
};
type StatementName = keyof typeof statements;

/** A ledger statement with its JSON input. */
const statement = (name: StatementName, payload: unknown) =>
  CompiledQuery.raw(statements[name], [JSON.stringify(payload)]);

/** Runs a ledger statement with its JSON input. */
async function runStatement<R>(db: Kysely<Database>, name: StatementName, payload: unknown): Promise<R[]> {
  return (await db.executeQuery<R>(statement(name, payload))).rows;
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
      activated_at: l.activatedAt,
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
 * {@link postEntry}, returning also the balance of one account as of the entry's business time, the
 * entry included (see {@link AsOfTotals}): from the same statement, so without a further round trip.
 */
export async function postEntryWithBalance(
  trx: Trx,
  entry: EntryInput,
  accountId: number,
): Promise<{ entryId: number; balance: BalanceView }> {
  const [row] = await runStatement<{ id: number } & AsOfTotals>(trx, 'loyalflow_ledger_entry_totals', {
    ...entryPayload(entry),
    totals_of: accountId,
  });
  const { id, ...totals } = row!;
  return { entryId: id, balance: viewAsOf(totals) };
}

/**
 * Spends `amount` from an account the caller holds locked, with `debt` its debt: in one statement, when
 * the spendable lots at `at` less the debt cover it, draws from them soonest-expiring first (as the
 * engine's `planSpend` does) and writes the entry. Answers no entry when they do not cover it; else the
 * draws and the account's balance as of the entry's business time, the spend included. `spendable`:
 * the spendable points the walk read, all of them when it falls short.
 */
export async function postSpend(
  trx: Trx,
  entry: Omit<EntryInput, 'draws' | 'newLots'>,
  spend: { accountId: number; at: Date; amount: number; debt: number },
): Promise<{ entryId: number | null; draws: LotDraw[]; balance: BalanceView; spendable: number }> {
  const { rows } = await trx.executeQuery<
    { id: number | null; draws: LotDraw[]; walked: number } & AsOfTotals
  >(spendQuery(entry, spend));
  const { id, draws, walked, ...totals } = rows[0]!;
  return { entryId: id, draws, balance: viewAsOf(totals), spendable: walked };
}

/** The statement of {@link postSpend}. */
export const spendQuery = (
  entry: Omit<EntryInput, 'draws' | 'newLots'>,
  spend: { accountId: number; at: Date; amount: number; debt: number },
) =>
  statement('loyalflow_ledger_spend', {
    ...entryPayload(entry),
    account_id: spend.accountId,
    at: spend.at,
    amount: spend.amount,
    debt: spend.debt,
  });

/**
 * The balance of a points account as it stood at a business time (a read: no lock taken), from the
 * journal lines and lot movements dated up to `at` alone, so whatever happened later changes nothing.
 * A lot is gone at its expiry whether or not the expiry job has burnt it yet: `balance` and `available`
 * leave it out and `expired` counts every point that expired by `at`. Every operation answers this view
 * at its business time.
 */
export async function pointsBalance(db: Kysely<Database>, accountId: number, at: Date): Promise<BalanceView> {
  const { rows } = await db.executeQuery<AsOfTotals>(balanceQuery(accountId, at));
  return viewAsOf(rows[0]!);
}

/** The query of {@link pointsBalance}. */
export const balanceQuery = (accountId: number, at: Date) =>
  statement('loyalflow_ledger_balance', { account_id: accountId, at });

export async function setDebt(trx: Trx, accountId: number, debt: number): Promise<void> {
  await trx.updateTable('accounts').set({ debt }).where('id', '=', accountId).execute();
}
