import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { customerAtTill } from '../purchases/purchase-context';
import { accruePoints } from './points';
import { openLotsQuery } from './store';

let t: TestDatabase;
let programId: number;
let accountId: number;
const bulk = 3_000;
const at = new Date('2026-03-01T00:00:00Z');

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every scan of `table` in the plan: its node type and index (a bitmap scan's, from its index scan). */
function scans(node: PlanNode, table: string, into: Array<{ node: string; index?: string }> = []) {
  if (node['Relation Name'] === table) {
    const index =
      node['Index Name'] ?? node.Plans?.find((p) => p['Node Type'] === 'Bitmap Index Scan')?.['Index Name'];
    into.push({ node: node['Node Type'], ...(index ? { index } : {}) });
  }
  for (const child of node.Plans ?? []) scans(child, table, into);
  return into;
}

const literal = (value: unknown) =>
  value instanceof Date ? `'${value.toISOString()}'` : pg.escapeLiteral(String(value));

/**
 * The plan PostgreSQL keeps for `query` as a named prepared statement once it settles on a generic one
 * (db/prepared-statements.ts): prepared with its parameters and explained with
 * `plan_cache_mode = force_generic_plan`, on one connection.
 */
async function genericPlan(query: CompiledQuery): Promise<PlanNode> {
  return t.db.connection().execute(async (c) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(c);
    await c.executeQuery(CompiledQuery.raw(`prepare q as ${query.sql}`));
    const { rows } = await c.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`explain (format json) execute q(${query.parameters.map(literal).join(', ')})`),
    );
    await c.executeQuery(CompiledQuery.raw('deallocate q'));
    await sql`reset plan_cache_mode`.execute(c);
    const plan = rows[0]!['QUERY PLAN'][0].Plan;
    // A generic plan compares with the parameters, not with the values given.
    expect(JSON.stringify(plan)).toContain('$1');
    return plan;
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  // Thousands of customers with points and cash accounts, a tenth of them pooled in master accounts.
  await sql`insert into customers (program_id, referral_code, registration_channel, registered_at)
    select ${programId}, 'RBULK' || g, 'import', ${at} from generate_series(1, ${bulk}) g`.execute(t.db);
  await sql`insert into identifiers (program_id, kind, value, customer_id)
    select program_id, 'external', 'bulk-' || id, id from customers where referral_code like 'RBULK%'`.execute(
    t.db,
  );
  await sql`insert into accounts (program_id, kind, currency, customer_id)
    select program_id, k, 'bonus', id from customers, unnest(array['points', 'cash']) k
    where referral_code like 'RBULK%'`.execute(t.db);
  await sql`insert into master_accounts (program_id, name, kind)
    select ${programId}, 'family ' || g, 'family' from generate_series(1, ${bulk / 10}) g`.execute(t.db);
  await sql`insert into accounts (program_id, kind, currency, master_account_id)
    select program_id, 'points', 'bonus', id from master_accounts`.execute(t.db);
  await sql`update customers c set master_account_id = m.id
    from master_accounts m where c.referral_code = 'RBULK' || m.id`.execute(t.db);

  // One account with a long history of spent lots and two open ones,
  const customerId = await insertCustomer(t.db, programId, 'till-customer');
  accountId = await t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  for (const days of [1, 2]) {
    await t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: new Date(at.getTime() - days * 86_400_000),
        actor: 'test',
        accountId,
        amount: 10,
        lot: { activatesAt: at, expiresAt: null },
      }),
    );
  }
  await sql`insert into lots (account_id, entry_id, occurred_at, amount, remaining, activates_at)
    select l.account_id, l.entry_id, l.occurred_at - g * interval '1 hour', 5, 0, l.activates_at
    from (select * from lots where account_id = ${accountId} limit 1) l, generate_series(1, ${bulk}) g`.execute(
    t.db,
  );
  // and spent lots on every other account.
  await sql`insert into lots (account_id, entry_id, occurred_at, amount, remaining, activates_at)
    select a.id, l.entry_id, l.occurred_at, 5, 0, l.activates_at
    from (select * from lots where account_id = ${accountId} limit 1) l, accounts a, generate_series(1, 2)
    where a.kind = 'points' and a.id <> ${accountId}`.execute(t.db);
  await sql`analyze`.execute(t.db);
}, 120_000);
afterAll(() => t.drop());

describe('generic plans of the ledger and till queries', () => {
  it("the open lots of an account are read through an open-lots index, not the account's lot history", async () => {
    const plan = await genericPlan(openLotsQuery(t.db, { accountId }));
    const lots = scans(plan, 'lots');
    expect(lots).toHaveLength(1);
    expect(lots[0]).toMatchObject({ node: expect.stringMatching(/^(Index|Index Only|Bitmap Heap) Scan$/) });
    expect(['lots_queue', 'lots_pending']).toContain(lots[0]!.index);
  });

  it("the till's customer lookup reads accounts through their owner indexes, and open lots only", async () => {
    const plan = await genericPlan(
      customerAtTill(t.db, { programId, kind: 'external', value: 'bulk-7', currency: 'bonus', at }),
    );
    const accounts = scans(plan, 'accounts');
    expect(accounts.length).toBeGreaterThan(0);
    for (const scan of accounts) {
      expect(scan.node).toMatch(/^(Index|Index Only|Bitmap Heap) Scan$/);
      expect(['accounts_customer_currency', 'accounts_master_currency', 'accounts_pkey']).toContain(
        scan.index,
      );
    }
    expect(accounts.map((s) => s.index)).toEqual(
      expect.arrayContaining(['accounts_customer_currency', 'accounts_master_currency']),
    );
    const lots = scans(plan, 'lots');
    expect(lots.length).toBeGreaterThan(0);
    for (const scan of lots) {
      expect(scan.node).toMatch(/^(Index|Index Only|Bitmap Heap) Scan$/);
      expect(['lots_queue', 'lots_pending']).toContain(scan.index);
    }
  });
});
