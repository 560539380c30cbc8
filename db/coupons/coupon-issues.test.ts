import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeGenerator, verifyOfflineCheck } from '../../engine/coupons/code-pattern';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { rejection } from '../../test/support/rejection';
import { seedTestProgram } from '../../test/support/program';
import { createCouponIssue, generateCoupons, importCoupons, programTillKey } from './coupon-issues';

let t: TestDatabase;
let programId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId } = await seedTestProgram(t.db));
});
afterAll(() => t.drop());

const count = async (where: { issueId?: number } = {}) =>
  Number(
    (
      await t.db
        .selectFrom('coupons')
        .where('program_id', '=', programId)
        .$if(where.issueId !== undefined, (q) => q.where('issue_id', '=', where.issueId!))
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('createCouponIssue', () => {
  it('stores the issue with its texts and limits, and refuses a second issue of the same code', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'welcome',
      name: 'Welcome coupon',
      kind: 'single_use',
      pattern: { prefix: 'W', length: 8 },
      maxUsesPerCustomer: 1,
      activationDelaySeconds: 3600,
      lifetimeSeconds: 30 * 86_400,
      imageUrl: 'https://example.com/welcome.png',
      shortDescription: '10% off',
      longDescription: '10% off your next purchase.',
    });
    const row = await t.db
      .selectFrom('coupon_issues')
      .selectAll()
      .where('id', '=', issue.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      kind: 'single_use',
      next_index: 0,
      max_uses_per_customer: 1,
      activation_delay_seconds: 3600,
      short_description: '10% off',
    });
    expect(row.pattern).toMatchObject({ prefix: 'W', length: 8, checkLength: 2 });
    expect(row.secret_key).toHaveLength(32);
    const error = await rejection(
      createCouponIssue(t.db, {
        programId,
        code: 'welcome',
        name: 'x',
        kind: 'promo_code',
        pattern: { length: 6 },
      }),
    );
    expect(error.code).toBe('coupon_issue_exists');
  });
});

describe('generateCoupons', () => {
  it('writes 20 000 unique coupons whose codes pass the offline check, never reusing an index range', async () => {
    const pattern = { prefix: 'GC', length: 8, group: 4 };
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'autumn',
      name: 'Autumn',
      kind: 'single_use',
      pattern,
    });
    const first = await generateCoupons(t.db, { programId, issueId: issue.id, count: 20_000 });
    expect(first).toMatchObject({ inserted: 20_000, startIndex: 0 });
    const second = await generateCoupons(t.db, { programId, issueId: issue.id, count: 5_000 });
    expect(second).toMatchObject({ inserted: 5_000, startIndex: 20_000 });

    const rows = await t.db
      .selectFrom('coupons')
      .select(['code', 'status', 'customer_id', 'uses'])
      .where('issue_id', '=', issue.id)
      .execute();
    expect(rows).toHaveLength(25_000);
    expect(new Set(rows.map((r) => r.code)).size).toBe(25_000);
    expect(rows.every((r) => r.status === 'issued' && r.customer_id === null && r.uses === 0)).toBe(true);

    const tillKey = await programTillKey(t.db, programId);
    expect(rows.every((r) => verifyOfflineCheck(r.code, pattern, tillKey))).toBe(true);
    const { secret_key } = await t.db
      .selectFrom('coupon_issues')
      .select('secret_key')
      .where('id', '=', issue.id)
      .executeTakeFirstOrThrow();
    const generator = createCodeGenerator(pattern, secret_key, tillKey);
    const indexes = rows.map((r) => generator.indexOf(r.code)!).sort((a, b) => a - b);
    expect(indexes[0]).toBe(0);
    expect(indexes.at(-1)).toBe(24_999);
    expect(new Set(indexes).size).toBe(25_000);
  });

  it('a failed write does not give its index range back', async () => {
    const pattern = { length: 6 };
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'clash',
      name: 'Clash',
      kind: 'single_use',
      pattern,
    });
    const tillKey = await programTillKey(t.db, programId);
    const { secret_key } = await t.db
      .selectFrom('coupon_issues')
      .select('secret_key')
      .where('id', '=', issue.id)
      .executeTakeFirstOrThrow();
    // an imported code equal to the code of index 150 makes the generation of 0…999 fail
    const clash = createCodeGenerator(pattern, secret_key, tillKey).generate(150, 1)[0]!;
    expect(await importCoupons(t.db, { programId, issueId: issue.id, codes: [clash] })).toEqual({
      ok: true,
      inserted: 1,
    });
    const error = await rejection(generateCoupons(t.db, { programId, issueId: issue.id, count: 1_000 }));
    expect(error.code).toBe('coupon_code_taken');
    expect(await count({ issueId: issue.id })).toBe(1);

    const next = await generateCoupons(t.db, { programId, issueId: issue.id, count: 10 });
    expect(next.startIndex).toBe(1_000);
    expect(await count({ issueId: issue.id })).toBe(11);
  });

  it('refuses more codes than the pattern may issue, and unknown issues', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'tiny',
      name: 'Tiny',
      kind: 'single_use',
      pattern: { length: 4 }, // 31^4 / 1000 = 923
    });
    expect((await rejection(generateCoupons(t.db, { programId, issueId: issue.id, count: 924 }))).code).toBe(
      'coupon_codes_exhausted',
    );
    expect((await rejection(generateCoupons(t.db, { programId, issueId: 999_999, count: 1 }))).code).toBe(
      'coupon_issue_not_found',
    );
  });
});

describe('importCoupons', () => {
  it('imports normalised external codes', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'partner',
      name: 'Partner',
      kind: 'promo_code',
      pattern: { length: 8 },
    });
    const result = await importCoupons(t.db, {
      programId,
      issueId: issue.id,
      codes: ['summer-2026', ' ext 0001 ', 'Ext0002'],
    });
    expect(result).toEqual({ ok: true, inserted: 3 });
    const codes = await t.db.selectFrom('coupons').select('code').where('issue_id', '=', issue.id).execute();
    expect(codes.map((c) => c.code).sort()).toEqual(['EXT0001', 'EXT0002', 'SUMMER2026']);
  });

  it('rejects the whole file when codes repeat, exist already or are malformed', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'partner2',
      name: 'Partner 2',
      kind: 'single_use',
      pattern: { length: 8 },
    });
    const before = await count();
    const codes = Array.from({ length: 3_000 }, (_, i) => `NEW${i}`);
    codes.push('new-1', 'ext-0001', 'bad*code', '   ');
    const result = await importCoupons(t.db, { programId, issueId: issue.id, codes });
    expect(result).toEqual({
      ok: false,
      invalid: [
        { line: 3002, value: 'bad*code' },
        { line: 3003, value: '   ' },
      ],
      duplicatesInFile: ['NEW1'],
      existing: ['EXT0001'],
    });
    expect(await count()).toBe(before);
    expect(await count({ issueId: issue.id })).toBe(0);

    const clean = await importCoupons(t.db, { programId, issueId: issue.id, codes: codes.slice(0, 3_000) });
    expect(clean).toEqual({ ok: true, inserted: 3_000 });
  });

  it('leaves the session settings of pooled connections as they were', async () => {
    const role = await sql<{
      role: string;
    }>`select current_setting('session_replication_role') as role`.execute(t.db);
    expect(role.rows[0]!.role).toBe('origin');
  });
});
