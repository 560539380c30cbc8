import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableAt } from '../../engine/ledger/lots';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { expireLots } from './lot-jobs';
import { accruePoints, pointsBalance, spendPoints } from './points';
import { balanceQuery, openLots, readAccount, spendQuery } from './store';

let t: TestDatabase;
let accountId: number;
let programId: number;
const start = Date.parse('2025-01-01T00:00:00Z');
const hour = 3_600_000;
const pairs = 2_000;
/** Just after the last operation of the history: an online operation's business time. */
const now = new Date(start + (2 * pairs + 2) * hour);

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each ledger table's scans returned or filtered out, over the whole plan. */
function rowsRead(node: PlanNode, into: Record<string, number> = {}): Record<string, number> {
  const table = node['Relation Name'];
  if (table) {
    const rows =
      node['Actual Rows'] +
      (node['Rows Removed by Filter'] ?? 0) +
      (node['Rows Removed by Index Recheck'] ?? 0);
    into[table] = (into[table] ?? 0) + rows * node['Actual Loops'];
  }
  for (const child of node.Plans ?? []) rowsRead(child, into);
  return into;
}

/**
 * Rows each ledger table's scans read when `query` runs as a named prepared statement on a generic plan
 * (db/prepared-statements.ts): prepared with its one JSON parameter and run by EXPLAIN ANALYZE under
 * `plan_cache_mode = force_generic_plan`, in a transaction rolled back, so a writing statement leaves
 * nothing.
 */
async function genericRowsRead(query: CompiledQuery): Promise<Record<string, number>> {
  return t.db.connection().execute(async (c) => {
    await sql`begin`.execute(c);
    try {
      await sql`set local plan_cache_mode = force_generic_plan`.execute(c);
      await c.executeQuery(CompiledQuery.raw(`prepare q as ${query.sql}`));
      const args = query.parameters.map((p) => pg.escapeLiteral(String(p))).join(', ');
      const { rows } = await c.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        CompiledQuery.raw(`explain (analyze, verbose, format json) execute q(${args})`),
      );
      const plan = rows[0]!['QUERY PLAN'][0].Plan;
      // A generic plan reads the parameter, not the value given.
      expect(JSON.stringify(plan)).toContain('$1');
      return rowsRead(plan);
    } finally {
      await sql`rollback`.execute(c);
      await c.executeQuery(CompiledQuery.raw('deallocate q'));
    }
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  const customerId = await insertCustomer(t.db, programId, 'long-history');
  accountId = await t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  // Every other hour 10 earned and, an hour later, 5 spent; every 100th time also 7 that expire half an
  // hour after the spend, which takes 5 of them (the 2 left are burnt); the last 10 are still pending.
  await t.db.transaction().execute(async (trx) => {
    for (let i = 0; i < pairs; i += 1) {
      const at = new Date(start + 2 * i * hour);
      const op = { programId, occurredAt: at, actor: 'test', accountId };
      const last = i === pairs - 1;
      await accruePoints(trx, {
        ...op,
        amount: 10,
        lot: { activatesAt: last ? new Date(now.getTime() + 24 * hour) : at, expiresAt: null },
      });
      if (i % 100 === 0) {
        await accruePoints(trx, {
          ...op,
          amount: 7,
          lot: { activatesAt: at, expiresAt: new Date(at.getTime() + 1.5 * hour) },
        });
      }
      await spendPoints(trx, { ...op, occurredAt: new Date(at.getTime() + hour), amount: 5 });
    }
  });
  expect(await expireLots(t.db, { programId, at: now })).toEqual({ accounts: 1, points: 40 });
}, 300_000);
afterAll(() => t.drop());

describe('a balance as of about now on an account with a long history', () => {
  it('reads no lot, lot movement or journal line of that history, and answers what the account holds', async () => {
    const lots = await t.db
      .selectFrom('lots')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(Number(lots.n)).toBe(pairs + pairs / 100);

    const read = await genericRowsRead(balanceQuery(accountId, now));
    // The one lot still pending is all the query reads of the history.
    expect({
      lots: read.lots ?? 0,
      lot_movements: read.lot_movements ?? 0,
      journal_lines: read.journal_lines ?? 0,
      journal_entries: read.journal_entries ?? 0,
    }).toEqual({ lots: 2, lot_movements: 0, journal_lines: 0, journal_entries: 0 });

    const account = await readAccount(t.db, accountId);
    expect(await pointsBalance(t.db, accountId, now)).toEqual({
      balance: account.balance,
      available: availableAt(await openLots(t.db, accountId), account.debt, now),
      pending: 10,
      expired: 40,
      debt: 0,
    });
    expect(account.balance).toBe(pairs * 5 + (pairs / 100) * (7 - 2));
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});

describe('a spend at about now on an account with a long history', () => {
  it('on a generic plan reads at most 20 of its more than 900 open lots and no lot movement or journal line', async () => {
    const counter = await t.db
      .selectFrom('accounts')
      .select('id')
      .where('program_id', '=', programId)
      .where('kind', '=', 'program')
      .where('role', '=', 'redemption')
      .executeTakeFirstOrThrow();
    const [first, second, third] = (await openLots(t.db, accountId))
      .filter((lot) => lot.activatesAt <= now)
      .sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || a.id - b.id);
    expect([first!.remaining, second!.remaining, third!.remaining]).toEqual([10, 10, 10]);
    const read = await genericRowsRead(
      spendQuery(
        {
          programId,
          kind: 'spend',
          occurredAt: now,
          actor: 'test',
          lines: [
            { accountId, currency: 'bonus', amount: -25 },
            { accountId: counter.id, currency: 'bonus', amount: 25 },
          ],
        },
        { accountId, at: now, amount: 25, debt: 0 },
      ),
    );
    // The three lots it draws from, read again by id to record and apply the draws, and the pending
    // lot the balance after it splits off: a bound far below the account's open lots.
    expect((await openLots(t.db, accountId)).length).toBeGreaterThan(900);
    expect(read.lots).toBeLessThanOrEqual(20);
    expect({ lot_movements: read.lot_movements ?? 0, journal_lines: read.journal_lines ?? 0 }).toEqual({
      lot_movements: 0,
      journal_lines: 0,
    });
  });
});
