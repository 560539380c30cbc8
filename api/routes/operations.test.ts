import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../db/api-keys';
import { customerAccount } from '../../db/customers/accounts';
import { accruePoints } from '../../db/ledger/points';
import type { DemoCredentials } from '../../db/demo-program';
import { createStaffUser } from '../../db/staff-users';
import { testApi } from '../../test/support/api';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import type { ApiApp } from '../types';

let t: TestDatabase;
let app: ApiApp;
let demo: DemoCredentials;
let keySeq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  demo = await seedTestProgram(t.db, { conversionRate: { points: 1, cash: 100 } });
  app = await testApi(t.db);
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

function call(url: string, payload: unknown, options: { key?: string; token?: string } = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${options.token ?? demo.tillApiKey}`,
      'idempotency-key': options.key ?? `op-${String((keySeq += 1)).padStart(6, '0')}`,
    },
    payload: payload as object,
  });
}

const at = '2026-05-10T12:00:00+03:00';
const anna = { kind: 'phone', value: '8 (916) 111-22-33' } as const;
const boris = { kind: 'external', value: 'crm-boris' } as const;

async function lookup(customer: unknown) {
  const response = await call('/v1/customers/lookup', { customer, at });
  expect(response.statusCode).toBe(200);
  return response.json();
}

async function journalSize() {
  return (await t.db.selectFrom('journal_entries').select('id').execute()).length;
}

describe('customers and operations by any identifier', () => {
  it('registers customers from the till and the operator channel', async () => {
    const a = await call('/v1/customers', {
      channel: 'operator',
      registeredAt: at,
      phone: '+7 916 111 22 33',
      profile: { firstName: 'Anna' },
    });
    expect(a.statusCode).toBe(201);
    expect(a.json()).toMatchObject({ status: 'active', referredBy: null });
    const b = await call('/v1/customers', {
      channel: 'till',
      registeredAt: at,
      externalId: 'crm-boris',
      email: 'Boris@Example.com',
      referralCode: a.json().referralCode.toLowerCase(),
    });
    expect(b.statusCode).toBe(201);
    expect(b.json()).toMatchObject({ status: 'pending', referredBy: a.json().customerId });
  });

  it('refuses a second customer with the same phone written differently', async () => {
    const again = await call('/v1/customers', { channel: 'cabinet', registeredAt: at, phone: '89161112233' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'phone_taken', field: 'phone' });
  });

  it('accrues, spends and reads balances; the same key replays, another body conflicts', async () => {
    const accrued = await call(
      '/v1/operations/accrue',
      { customer: anna, amount: 500, occurredAt: at },
      { key: 'accrue-anna-1' },
    );
    expect(accrued.statusCode).toBe(200);
    expect(accrued.json().balance).toMatchObject({ currency: 'bonus', available: 500 });
    const replay = await call(
      '/v1/operations/accrue',
      { customer: anna, amount: 500, occurredAt: at },
      { key: 'accrue-anna-1' },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(accrued.json());
    const conflict = await call(
      '/v1/operations/accrue',
      { customer: anna, amount: 501, occurredAt: at },
      { key: 'accrue-anna-1' },
    );
    expect(conflict.statusCode).toBe(409);

    const spent = await call('/v1/operations/spend', {
      customer: { kind: 'phone', value: '+79161112233' },
      amount: 120,
      occurredAt: at,
    });
    expect(spent.json().balance).toMatchObject({ available: 380 });
    expect((await lookup(anna)).points).toMatchObject({ balance: 380, available: 380 });
  });

  it('refuses to overdraw and writes nothing', async () => {
    const before = await journalSize();
    const response = await call('/v1/operations/spend', { customer: anna, amount: 381, occurredAt: at });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'insufficient_points', field: 'amount' });
    expect(await journalSize()).toBe(before);
  });

  it("adjusts only with a reason, authored by the key's principal and never by a staffId on trust", async () => {
    const noReason = await call(
      '/v1/operations/adjust',
      { customer: anna, amount: 10, occurredAt: at },
      { token: demo.backOfficeApiKey },
    );
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.field).toBe('body.reason');
    const tillKey = await call('/v1/operations/adjust', {
      customer: anna,
      amount: 10,
      occurredAt: at,
      reason: 'goodwill',
    });
    expect(tillKey.statusCode).toBe(403);
    const before = await journalSize();
    // A key of no staff user cannot name one as the author.
    const named = await call(
      '/v1/operations/adjust',
      { customer: anna, amount: 10, occurredAt: at, staffId: demo.adminStaffId, reason: 'goodwill' },
      { token: demo.backOfficeApiKey },
    );
    expect(named.statusCode).toBe(403);
    expect(named.json().error).toMatchObject({ code: 'staff_mismatch', field: 'staffId' });
    // A staff user's key adjusts as that user, and only as that user.
    const admin = await issueApiKey(t.db, {
      programId: demo.programId,
      staffUserId: demo.adminStaffId,
      label: 'admin',
      scopes: ['operations:adjust'],
    });
    const other = await createStaffUser(t.db, {
      programId: demo.programId,
      login: 'agent-adjust',
      password: 'secret-secret',
      role: 'agent',
    });
    const impersonating = await call(
      '/v1/operations/adjust',
      { customer: anna, amount: 10, occurredAt: at, staffId: other, reason: 'goodwill' },
      { token: admin.token },
    );
    expect(impersonating.statusCode).toBe(403);
    expect(impersonating.json().error).toMatchObject({ code: 'staff_mismatch', field: 'staffId' });
    expect(await journalSize()).toBe(before);

    const byKey = await call(
      '/v1/operations/adjust',
      { customer: anna, amount: -80, occurredAt: at, reason: 'double accrual' },
      { token: demo.backOfficeApiKey },
    );
    expect(byKey.statusCode).toBe(200);
    expect(byKey.json().balance.available).toBe(300);
    const byStaff = await call(
      '/v1/operations/adjust',
      { customer: boris, amount: 5, occurredAt: at, reason: 'goodwill' },
      { token: admin.token },
    );
    const byStaffNamed = await call(
      '/v1/operations/adjust',
      { customer: boris, amount: -5, occurredAt: at, staffId: demo.adminStaffId, reason: 'undo goodwill' },
      { token: admin.token },
    );
    expect([byStaff.statusCode, byStaffNamed.statusCode]).toEqual([200, 200]);
    expect(byStaffNamed.json().balance.available).toBe(byStaff.json().balance.available - 5);
    const backOffice = await t.db
      .selectFrom('api_keys')
      .select('id')
      .where('label', '=', 'Demo back office')
      .executeTakeFirstOrThrow();
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'changes'])
      .where('action', '=', 'points.adjust')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.actor)).toEqual([
      `api-key:${backOffice.id}`,
      `staff:${demo.adminStaffId}`,
      `staff:${demo.adminStaffId}`,
    ]);
    const entries = await t.db
      .selectFrom('journal_entries')
      .select('actor')
      .where('kind', '=', 'adjust')
      .orderBy('id')
      .execute();
    expect(entries.map((e) => e.actor)).toEqual(audit.map((a) => a.actor));
  });

  it('transfers between customers addressed by different identifiers', async () => {
    const response = await call('/v1/operations/transfer', {
      from: anna,
      to: boris,
      amount: 100,
      occurredAt: at,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ from: { available: 200 }, to: { available: 100 } });
  });

  it('tops up cash and converts cash ↔ points at the program rate, exact amounts only', async () => {
    expect(
      (await call('/v1/operations/top-up', { customer: boris, amount: 10_000, occurredAt: at })).json()
        .cashBalance,
    ).toBe(10_000);
    const inexact = await call('/v1/operations/convert', {
      customer: boris,
      direction: 'cash-to-points',
      amount: 250,
      occurredAt: at,
    });
    expect(inexact.statusCode).toBe(422);
    expect(inexact.json().error).toMatchObject({ code: 'inexact_conversion', field: 'amount' });
    const converted = await call('/v1/operations/convert', {
      customer: boris,
      direction: 'cash-to-points',
      amount: 3_000,
      occurredAt: at,
    });
    expect(converted.json()).toMatchObject({
      cash: 3_000,
      points: 30,
      cashBalance: 7_000,
      balance: { available: 130 },
    });
    const back = await call('/v1/operations/convert', {
      customer: boris,
      direction: 'points-to-cash',
      amount: 30,
      occurredAt: at,
    });
    expect(back.json()).toMatchObject({
      cash: 3_000,
      points: 30,
      cashBalance: 10_000,
      balance: { available: 100 },
    });
    expect((await lookup(boris)).cashBalance).toBe(10_000);
  });

  it('answers accrue, spend and convert with the balance as of their business time: expired points out of it before the job runs', async () => {
    const carl = { kind: 'external', value: 'crm-carl' } as const;
    const registered = await call('/v1/customers', {
      channel: 'operator',
      registeredAt: at,
      externalId: 'crm-carl',
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const accountId = await t.db
      .transaction()
      .execute((trx) => customerAccount(trx, registered.json().customerId, 'points', 'bonus'));
    // 70 earned a month before, expired a day before; the expiry job has not run.
    await t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId: demo.programId,
        occurredAt: new Date('2026-04-10T09:00:00Z'),
        actor: 'test',
        accountId,
        amount: 70,
        lot: { activatesAt: new Date('2026-04-10T09:00:00Z'), expiresAt: new Date('2026-05-09T09:00:00Z') },
      }),
    );
    const points = (balance: number) => ({
      currency: 'bonus',
      balance,
      available: balance,
      pending: 0,
      expired: 70,
      debt: 0,
    });
    const accrued = await call('/v1/operations/accrue', { customer: carl, amount: 40, occurredAt: at });
    expect(accrued.json().balance).toEqual(points(40));
    const spent = await call('/v1/operations/spend', { customer: carl, amount: 10, occurredAt: at });
    expect(spent.json().balance).toEqual(points(30));
    await call('/v1/operations/top-up', { customer: carl, amount: 1_000, occurredAt: at });
    const converted = await call('/v1/operations/convert', {
      customer: carl,
      direction: 'cash-to-points',
      amount: 1_000,
      occurredAt: at,
    });
    expect(converted.json().balance).toEqual(points(40));
    expect((await lookup(carl)).points).toEqual(points(40));
  });

  it('names the failing field for unknown customers, bad phones and bad bodies', async () => {
    const unknown = await call('/v1/operations/accrue', {
      customer: { kind: 'external', value: 'nobody' },
      amount: 1,
      occurredAt: at,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'customer_not_found', field: 'customer' });
    const badPhone = await call('/v1/operations/accrue', {
      customer: { kind: 'phone', value: '12ab' },
      amount: 1,
      occurredAt: at,
    });
    expect(badPhone.statusCode).toBe(422);
    expect(badPhone.json().error).toMatchObject({ code: 'invalid_phone', field: 'customer.value' });
    const negative = await call('/v1/operations/spend', { customer: anna, amount: -5, occurredAt: at });
    expect(negative.json().error.field).toBe('body.amount');
    const noZone = await call('/v1/operations/spend', {
      customer: anna,
      amount: 5,
      occurredAt: '2026-05-10T12:00:00',
    });
    expect(noZone.json().error.field).toBe('body.occurredAt');
  });

  it('never answers 500 to malformed bodies, and writes nothing', async () => {
    const before = await journalSize();
    const bodies: unknown[] = [
      null,
      [],
      'text',
      { customer: 'anna' },
      { customer: { kind: 'phone' }, amount: 1, occurredAt: at },
      { customer: anna, amount: 1e20, occurredAt: at },
      { customer: anna, amount: '5', occurredAt: at },
      { customer: anna, amount: 1.5, occurredAt: at },
      { customer: { kind: 'card', value: 'x'.repeat(10_000) }, amount: 1, occurredAt: at },
      { customer: anna, amount: 1, occurredAt: at, extra: true },
    ];
    for (const url of [
      '/v1/operations/accrue',
      '/v1/operations/spend',
      '/v1/operations/adjust',
      '/v1/operations/transfer',
      '/v1/operations/convert',
      '/v1/operations/top-up',
      '/v1/customers',
      '/v1/customers/lookup',
    ]) {
      for (const body of bodies) {
        const response = await call(url, body, { token: demo.backOfficeApiKey });
        expect(response.statusCode, `${url} ${JSON.stringify(body).slice(0, 80)}`).toBeGreaterThanOrEqual(
          400,
        );
        expect(response.statusCode, `${url} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
      }
    }
    expect(await journalSize()).toBe(before);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('pages through the history newest first and filters by kind; the audit shows who changed what', async () => {
    const first = await call('/v1/customers/history', { customer: anna, limit: 2 });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((i: { kind: string }) => i.kind)).toEqual(['transfer', 'adjust']);
    expect(page1.nextCursor).toBe(page1.items[1].lineId);
    const page2 = (
      await call('/v1/customers/history', { customer: anna, limit: 2, cursor: page1.nextCursor })
    ).json();
    expect(page2.items.map((i: { kind: string }) => i.kind)).toEqual(['spend', 'accrue']);
    expect(page2.nextCursor).toBeNull();
    const spends = (await call('/v1/customers/history', { customer: anna, kinds: ['spend'] })).json();
    expect(spends.items).toHaveLength(1);
    expect(spends.items[0]).toMatchObject({ amount: -120, currency: 'bonus', accountKind: 'points' });
    const audit = (await call('/v1/customers/audit', { customer: anna })).json();
    expect(audit.items.map((i: { action: string }) => i.action)).toEqual([
      'points.adjust',
      'customer.register',
    ]);
  });

  it('updates the profile and merges questionnaire answers, keeping children who became adults', async () => {
    const updated = await call('/v1/customers/profile', {
      customer: anna,
      profile: { lastName: 'Petrova', birthDate: '1985-03-08' },
      questionnaire: {
        children: [
          { name: 'Oleg', birth_date: '2004-01-15', gender: 'm' },
          { name: 'Lena', birth_date: '2016-06-01' },
        ],
      },
      occurredAt: at,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().profile).toMatchObject({ firstName: 'Anna', lastName: 'Petrova' });
    const again = await call('/v1/customers/profile', {
      customer: anna,
      questionnaire: { has_car: true },
      occurredAt: at,
    });
    expect(again.json().questionnaire).toMatchObject({
      has_car: true,
      children: [{ name: 'Oleg' }, { name: 'Lena' }],
    });
    const bad = await call('/v1/customers/profile', {
      customer: anna,
      profile: { birthDate: '1985-13-01' },
      occurredAt: at,
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({ code: 'invalid_profile', field: 'profile.birthDate' });
    const badAnswer = await call('/v1/customers/profile', {
      customer: anna,
      questionnaire: { children: [{ name: 'X' }] },
      occurredAt: at,
    });
    expect(badAnswer.json().error.field).toBe('questionnaire.children.0.birth_date');
  });
});
