import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredentials } from '../../db/demo-program';
import { testApi } from '../../test/support/api';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import type { ApiApp } from '../types';

const url = '/v1/operations/batch-adjustments';
let t: TestDatabase;
let app: ApiApp;
let demo: DemoCredentials;
let anna: number;
let keySeq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  demo = await seedTestProgram(t.db);
  anna = await insertCustomer(t.db, demo.programId, 'crm-anna');
  const boris = await insertCustomer(t.db, demo.programId, 'crm-boris');
  await t.db
    .insertInto('identifiers')
    .values({ program_id: demo.programId, kind: 'phone', value: '+79161234567', customer_id: boris })
    .execute();
  app = await testApi(t.db);
});
afterAll(async () => {
  await app?.close();
  await t.drop();
});

function call(payload: unknown, options: { key?: string; token?: string } = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${options.token ?? demo.backOfficeApiKey}`,
      'idempotency-key': options.key ?? `batch-${String((keySeq += 1)).padStart(6, '0')}`,
    },
    payload: payload as object,
  });
}

const occurredAt = '2026-05-10T12:00:00+03:00';
const good =
  'identifier_kind;identifier;amount;reason\nexternal;crm-anna;300;\nphone;8 916 123-45-67;70;"late, sorry"\n';
const body = (csv: string, dryRun: boolean) => ({
  csv,
  dryRun,
  occurredAt,
  reason: 'spring campaign',
});

/** Every row of the tables a batch writes, for a before/after comparison. */
async function written() {
  const out: Record<string, unknown[]> = {};
  for (const table of [
    'accounts',
    'lots',
    'journal_entries',
    'journal_lines',
    'lot_movements',
    'audit_log',
    'batch_adjustments',
  ]) {
    out[table] = (await sql`select * from ${sql.table(table)} order by id`.execute(t.db)).rows;
  }
  return out;
}

async function balances() {
  const rows = await t.db
    .selectFrom('accounts')
    .select(['customer_id', 'balance'])
    .where('kind', '=', 'points')
    .orderBy('customer_id')
    .execute();
  return rows.map((r) => [r.customer_id, r.balance]);
}

describe('POST /v1/operations/batch-adjustments', () => {
  it('previews a dry run with balances and writes nothing', async () => {
    const response = await call(body(good, true));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      dryRun: true,
      applied: false,
      rows: 2,
      totals: { credit: 370, debit: 0 },
      errors: [],
      preview: [
        {
          line: 2,
          customerId: anna,
          identifierKind: 'external',
          amount: 300,
          balanceBefore: 0,
          balanceAfter: 300,
        },
        {
          line: 3,
          identifierKind: 'phone',
          amount: 70,
          currency: 'bonus',
          balanceBefore: 0,
          balanceAfter: 70,
        },
      ],
    });
    expect(await balances()).toEqual([]);
  });

  it('answers a rejected file with 200, applied: false and every error by line', async () => {
    const csv = `${good}external;nobody;5;\nexternal;crm-anna;-301;\nexternal;crm-anna;12.5;\n`;
    const response = await call(body(csv, false));
    expect(response.statusCode).toBe(200);
    const report = response.json();
    expect(report).toMatchObject({ dryRun: false, applied: false, rows: 5 });
    expect(report.errors).toEqual([
      expect.objectContaining({ line: 4, column: 'identifier', code: 'customer_not_found' }),
      expect.objectContaining({ line: 5, column: 'amount', code: 'insufficient_points' }),
      expect.objectContaining({ line: 6, column: 'amount', code: 'invalid_amount' }),
    ]);
    expect(await balances()).toEqual([]);
  });

  it('applies a good file once; the same key replays the report, another body conflicts', async () => {
    const first = await call(body(good, false), { key: 'batch-apply-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ applied: true, errors: [] });
    const replay = await call(body(good, false), { key: 'batch-apply-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const conflict = await call(body(good, true), { key: 'batch-apply-1' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('idempotency_conflict');
    expect((await balances()).map(([, balance]) => balance)).toEqual([300, 70]);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'points.batch_adjust')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subject).toBe(first.json().batchId);
  });

  it('refuses the same file under a new key, naming the first batch, and writes nothing', async () => {
    const first = (
      await t.db
        .selectFrom('audit_log')
        .select('subject')
        .where('action', '=', 'points.batch_adjust')
        .executeTakeFirstOrThrow()
    ).subject;
    const before = await written();
    // The same rows with another delimiter, line endings and quoting are the same file.
    const same =
      'identifier_kind,identifier,amount,reason\r\nexternal,crm-anna,300,\r\nphone,8 916 123-45-67,70,"late, sorry"\r\n';
    for (const csv of [good, same]) {
      for (const dryRun of [false, true]) {
        const again = await call(body(csv, dryRun));
        expect(again.statusCode).toBe(409);
        expect(again.json().error).toMatchObject({ code: 'batch_already_applied', field: 'csv' });
        expect(again.json().error.message).toContain(first);
      }
    }
    const wrongRepeat = await call({ ...body(good, false), repeatOf: `${first}/7` });
    expect(wrongRepeat.statusCode).toBe(409);
    expect(wrongRepeat.json().error).toMatchObject({ code: 'batch_already_applied', field: 'repeatOf' });
    const neverApplied = await call({ ...body(good, false), fileId: 'march', repeatOf: first });
    expect(neverApplied.statusCode).toBe(422);
    expect(neverApplied.json().error).toMatchObject({ code: 'unknown_batch', field: 'repeatOf' });
    expect(await written()).toEqual(before);
  });

  it('applies the same file again only when the repeat names the latest application, with an audit record', async () => {
    const [first] = await t.db
      .selectFrom('audit_log')
      .select('subject')
      .where('action', '=', 'points.batch_adjust')
      .execute();
    const repeat = await call({ ...body(good, false), repeatOf: first!.subject });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toMatchObject({ applied: true, batchId: `${first!.subject}/2` });
    expect((await balances()).map(([, balance]) => balance)).toEqual([600, 140]);
    const stale = await call({ ...body(good, false), repeatOf: first!.subject });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.message).toContain(`${first!.subject}/2`);
    // Another file id makes the same rows another batch.
    const otherFile = await call({ ...body(good, false), fileId: 'may-bonus' });
    expect(otherFile.json()).toMatchObject({ applied: true });
    expect(otherFile.json().batchId).not.toBe(first!.subject);
    expect((await balances()).map(([, balance]) => balance)).toEqual([900, 210]);
    const backOffice = await t.db
      .selectFrom('api_keys')
      .select('id')
      .where('label', '=', 'Demo back office')
      .executeTakeFirstOrThrow();
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'subject', 'changes'])
      .where('action', '=', 'points.batch_adjust')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({ actor: `api-key:${backOffice.id}`, subject: first!.subject }),
      expect.objectContaining({
        actor: `api-key:${backOffice.id}`,
        subject: `${first!.subject}/2`,
        changes: expect.objectContaining({ repeatOf: first!.subject, staffId: null, rows: 2 }),
      }),
      expect.objectContaining({
        subject: otherFile.json().batchId,
        changes: expect.objectContaining({ fileId: 'may-bonus', totals: { credit: 370, debit: 0 } }),
      }),
    ]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('is refused to a key without the operations:adjust scope', async () => {
    const response = await call(body(good, true), { token: demo.tillApiKey });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'forbidden' });
  });

  it('names the failing body field, and refuses a staffId the key does not belong to', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...body(good, true), reason: undefined }, 'body.reason'],
      [{ ...body(good, true), dryRun: 'yes' }, 'body.dryRun'],
      [{ ...body(good, true), occurredAt: '2026-05-10T12:00:00' }, 'body.occurredAt'],
      [{ ...body(good, true), csv: '' }, 'body.csv'],
      [{ ...body(good, true), staffId: 0 }, 'body.staffId'],
    ];
    for (const [payload, field] of cases) {
      const response = await call(payload);
      expect(response.statusCode, field).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'validation_failed', field });
    }
    const extra = await call({ ...body(good, true), extra: 1 });
    expect(extra.statusCode).toBe(400);
    const staff = await call({ ...body(good, true), staffId: demo.adminStaffId });
    expect(staff.statusCode).toBe(403);
    expect(staff.json().error).toMatchObject({ code: 'staff_mismatch', field: 'staffId' });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().paths[url].post.summary).toMatch(/CSV/);
  });

  it('accepts a body over the server-wide 1 MB limit', async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `external;crm-${i};1`);
    const csv = ['identifier_kind;identifier;amount;comment', ...rows].join('\n');
    expect(csv.length).toBeGreaterThan(1_048_576);
    const response = await call(body(csv, true));
    expect(response.statusCode).toBe(200);
    expect(response.json().errors).toEqual([expect.objectContaining({ line: 1, code: 'unknown_column' })]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
