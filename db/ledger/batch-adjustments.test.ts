import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredentials } from '../demo-program';
import { DomainError } from '../../engine/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { validateBatchCsv } from '../../engine/batch-adjustments';
import {
  batchContentHash,
  batchIdOf,
  runBatchAdjustment,
  type BatchAdjustmentInput,
} from './batch-adjustments';
import { accruePoints } from './points';

let t: TestDatabase;
let demo: DemoCredentials;
let anna: number;
let boris: number;
let vera: number;

const occurredAt = new Date('2026-05-10T09:00:00Z');
const header = 'identifier_kind,identifier,amount,currency,reason';

beforeAll(async () => {
  t = await createTestDatabase();
  demo = await seedTestProgram(t.db);
  anna = await insertCustomer(t.db, demo.programId, 'crm-anna');
  boris = await insertCustomer(t.db, demo.programId, 'crm-boris');
  vera = await insertCustomer(t.db, demo.programId, 'crm-vera'); // no points account yet
  await t.db
    .insertInto('identifiers')
    .values({ program_id: demo.programId, kind: 'phone', value: '+79161234567', customer_id: boris })
    .execute();
  await t.db.transaction().execute(async (trx) => {
    for (const [customerId, amount] of [
      [anna, 100],
      [boris, 50],
    ] as const) {
      await accruePoints(trx, {
        programId: demo.programId,
        occurredAt: new Date('2026-05-01T00:00:00Z'),
        actor: 'test',
        accountId: await customerAccount(trx, customerId, 'points', 'bonus'),
        amount,
        lot: { activatesAt: new Date('2026-05-01T00:00:00Z'), expiresAt: null },
      });
    }
  });
});
afterAll(async () => {
  await t.drop();
});

function run(csv: string, dryRun = false, overrides: Partial<BatchAdjustmentInput> = {}) {
  return runBatchAdjustment(t.db, {
    programId: demo.programId,
    staffId: demo.adminStaffId,
    actor: `staff:${demo.adminStaffId}`,
    occurredAt,
    reason: 'spring campaign',
    csv,
    dryRun,
    ...overrides,
  });
}

/** The batch id of a file's first application. */
const idOf = (csv: string) => batchIdOf(batchContentHash(validateBatchCsv(csv).rows, null));

async function balance(customerId: number): Promise<number> {
  const row = await t.db
    .selectFrom('accounts')
    .select('balance')
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'points')
    .executeTakeFirst();
  return row?.balance ?? 0;
}

async function counts() {
  const [entries, audit, accounts] = await Promise.all([
    t.db
      .selectFrom('journal_entries')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    t.db
      .selectFrom('audit_log')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    t.db
      .selectFrom('accounts')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { entries: Number(entries.n), audit: Number(audit.n), accounts: Number(accounts.n) };
}

describe('runBatchAdjustment', () => {
  it('dry-runs: shows each row before and after, in file order, and writes nothing', async () => {
    const before = await counts();
    const csv = `${header}\nexternal,crm-anna,25,,\nphone,8 (916) 123-45-67,-30,bonus,returned goods\nexternal,crm-anna,-120,,\nexternal,crm-vera,10,,\n`;
    const report = await run(csv, true);
    expect(report).toEqual({
      dryRun: true,
      applied: false,
      batchId: idOf(csv),
      rows: 4,
      totals: { credit: 35, debit: 150 },
      errors: [],
      preview: [
        {
          line: 2,
          customerId: anna,
          identifierKind: 'external',
          amount: 25,
          currency: 'bonus',
          balanceBefore: 100,
          balanceAfter: 125,
        },
        {
          line: 3,
          customerId: boris,
          identifierKind: 'phone',
          amount: -30,
          currency: 'bonus',
          balanceBefore: 50,
          balanceAfter: 20,
        },
        {
          line: 4,
          customerId: anna,
          identifierKind: 'external',
          amount: -120,
          currency: 'bonus',
          balanceBefore: 125,
          balanceAfter: 5,
        },
        {
          line: 5,
          customerId: vera,
          identifierKind: 'external',
          amount: 10,
          currency: 'bonus',
          balanceBefore: 0,
          balanceAfter: 10,
        },
      ],
    });
    expect(idOf(csv)).toMatch(/^batch:[0-9a-f]{16}$/);
    // Vera's points account, created by the run, is rolled back with the rest.
    expect(await counts()).toEqual(before);
    expect([await balance(anna), await balance(boris), await balance(vera)]).toEqual([100, 50, 0]);
  });

  it('rejects the whole file when any row fails, reporting every error with its line', async () => {
    const before = await counts();
    const csv = [
      header,
      'external,crm-anna,10,,',
      'external,nobody,5,,',
      'external,crm-boris,-51,,',
      'phone,12ab,5,,',
      'external,crm-anna,1.5,,',
      'external,crm-anna,-60,,',
      'external,crm-anna,-60,,',
      'card,4000123,5,,',
      'external,crm-boris,5',
    ].join('\r\n');
    const report = await run(csv);
    expect(report.applied).toBe(false);
    expect(report.rows).toBe(9);
    expect(report.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, 'identifier', 'customer_not_found'],
      [4, 'amount', 'insufficient_points'],
      [5, 'identifier', 'invalid_phone'],
      [6, 'amount', 'invalid_amount'],
      // The second debit of 60 finds only 50 left after the first: rows apply in file order.
      [8, 'amount', 'insufficient_points'],
      [9, 'identifier', 'customer_not_found'],
      [10, undefined, 'wrong_cell_count'],
    ]);
    expect(report.preview.map((p) => [p.line, p.balanceAfter])).toEqual([
      [2, 110],
      [7, 50],
    ]);
    expect(await counts()).toEqual(before);
    expect([await balance(anna), await balance(boris)]).toEqual([100, 50]);
  });

  it('rejects a file with an unknown currency or a bad header before touching anything', async () => {
    const currency = await run(`${header}\nexternal,crm-anna,10,gold,`);
    expect(currency.errors).toEqual([
      expect.objectContaining({ line: 2, column: 'currency', code: 'unknown_currency' }),
    ]);
    const columns = await run('identifier_kind;identifier;amount;comment\nexternal;crm-anna;10;hi');
    expect(columns).toMatchObject({ applied: false, rows: 1, preview: [] });
    expect(columns.errors).toEqual([
      expect.objectContaining({ line: 1, column: 'comment', code: 'unknown_column' }),
    ]);
    expect(await balance(anna)).toBe(100);
  });

  it('refuses an unknown staff user', async () => {
    const refused = run(`${header}\nexternal,crm-anna,10,,`, false, { staffId: 999_999 });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'unknown_staff', field: 'staffId' });
  });

  it('applies a good file atomically, with one audit row and an entry per row', async () => {
    const csv = `${header}\nexternal,crm-anna,40,,welcome back\nphone,+7 916 123 45 67,-50,bonus,\nexternal,crm-anna,-15,,`;
    const report = await run(csv);
    expect(report).toMatchObject({
      applied: true,
      dryRun: false,
      errors: [],
      totals: { credit: 40, debit: 65 },
    });
    expect(report.preview.map((p) => [p.balanceBefore, p.balanceAfter])).toEqual([
      [100, 140],
      [50, 0],
      [140, 125],
    ]);
    expect([await balance(anna), await balance(boris)]).toEqual([125, 0]);
    const entries = await t.db
      .selectFrom('journal_entries')
      .select(['kind', 'actor', 'reason', 'details'])
      .where('kind', '=', 'adjust')
      .orderBy('id')
      .execute();
    expect(entries).toEqual([
      expect.objectContaining({
        actor: `staff:${demo.adminStaffId}`,
        reason: 'welcome back',
        details: expect.objectContaining({ batch: idOf(csv), line: 2 }),
      }),
      expect.objectContaining({ reason: 'spring campaign', details: expect.objectContaining({ line: 3 }) }),
      expect.objectContaining({ reason: 'spring campaign', details: expect.objectContaining({ line: 4 }) }),
    ]);
    const audit = await t.db.selectFrom('audit_log').selectAll().execute();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'points.batch_adjust',
        actor: `staff:${demo.adminStaffId}`,
        subject: idOf(csv),
        changes: {
          rows: 3,
          totals: { credit: 40, debit: 65 },
          staffId: demo.adminStaffId,
          fileId: null,
          contentHash: batchContentHash(validateBatchCsv(csv).rows, null),
          repeatOf: null,
        },
      }),
    ]);
  });

  it('applies one of two uploads of one file at once and refuses the other', async () => {
    const csv = `${header}\nexternal,crm-boris,7,,race`;
    const outcomes = await Promise.allSettled([run(csv), run(csv)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value.applied)).toEqual([true]);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason)).toEqual([
      expect.objectContaining({ code: 'batch_already_applied', status: 409 }),
    ]);
    expect(await balance(boris)).toBe(7);
  });

  it("inside a caller's transaction, rolls back only its own writes", async () => {
    const before = await counts();
    await t.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('audit_log')
        .values({
          program_id: demo.programId,
          actor: 'test',
          action: 'mark',
          subject: 'x',
          changes: '{}',
          occurred_at: occurredAt,
        })
        .execute();
      const report = await runBatchAdjustment(trx, {
        programId: demo.programId,
        staffId: demo.adminStaffId,
        actor: 'staff:1',
        occurredAt,
        reason: 'spring campaign',
        csv: `${header}\nexternal,crm-anna,5,,\nexternal,nobody,5,,`,
        dryRun: false,
      });
      expect(report.applied).toBe(false);
    });
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
    expect(await balance(anna)).toBe(125);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
