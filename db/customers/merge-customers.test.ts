import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { moveCash } from '../ledger/cash';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from '../ledger/points';
import type { Trx } from '../ledger/store';
import { loadProgram } from '../programs';
import type { IdentifierKind } from '../schema';
import { customerAccount } from './accounts';
import { customerHistory } from './history';
import { resolveCustomer } from './identifiers';
import { mergeCustomers, mergeProfiles, type MergeCustomersInput } from './merge-customers';

let t: TestDatabase;
let programId: number;
let cardTypeId: number;
let seq = 0;

const at = new Date('2026-05-10T09:00:00Z');
const d = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId } = await seedTestProgram(t.db));
  ({ id: cardTypeId } = await t.db
    .insertInto('card_types')
    .values({ program_id: programId, code: 'plastic', name: 'Plastic', lot_policy: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow());
});
afterAll(async () => {
  await t.drop();
});

const tx = <T>(run: (trx: Trx) => Promise<T>) => t.db.transaction().execute(run);

async function customer(
  profile: Record<string, unknown>,
  identifiers: Array<[IdentifierKind, string]>,
  options: { questionnaire?: Record<string, unknown>; card?: string; program?: number } = {},
): Promise<number> {
  const program = options.program ?? programId;
  const { id } = await t.db
    .insertInto('customers')
    .values({
      program_id: program,
      profile: JSON.stringify(profile),
      questionnaire: JSON.stringify(options.questionnaire ?? {}),
      referral_code: `MRG${(seq += 1)}`,
      registration_channel: 'operator',
      registered_at: d('2026-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rows = identifiers.map(([kind, value]) => ({
    program_id: program,
    kind,
    value,
    customer_id: id,
    card_id: null as number | null,
  }));
  if (options.card) {
    const card = await t.db
      .insertInto('cards')
      .values({
        program_id: program,
        card_type_id: cardTypeId,
        number: options.card,
        status: 'active',
        customer_id: id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    rows.push({ program_id: program, kind: 'card', value: options.card, customer_id: id, card_id: card.id });
  }
  if (rows.length > 0) await t.db.insertInto('identifiers').values(rows).execute();
  return id;
}

const ctx = { programId: 0, occurredAt: d('2026-02-01T10:00:00Z'), actor: 'test' };

const points = (customerId: number) => tx((trx) => customerAccount(trx, customerId, 'points', 'bonus'));

async function accrue(
  customerId: number,
  amount: number,
  expiresAt: Date | null,
  activatesAt = ctx.occurredAt,
) {
  const lot = { activatesAt, expiresAt };
  const accountId = await points(customerId);
  await tx((trx) => accruePoints(trx, { ...ctx, programId, accountId, amount, lot }));
}

async function topUp(customerId: number, amount: number) {
  const accountId = await tx((trx) => customerAccount(trx, customerId, 'cash', 'RUB'));
  const top = { role: 'cash_clearing', kind: 'top-up', direction: 'credit' } as const;
  await tx((trx) => moveCash(trx, { ...ctx, ...top, programId, accountId, amount }));
}

function merge(input: Partial<MergeCustomersInput> & { survivorId: number; mergedId: number }) {
  return tx((trx) =>
    mergeCustomers(trx, { programId, fieldChoices: {}, actor: 'staff:1', occurredAt: at, ...input }),
  );
}

async function counts() {
  const count = async (table: 'journal_entries' | 'audit_log' | 'outbox' | 'lots') =>
    (await t.db.selectFrom(table).select('id').execute()).length;
  return {
    entries: await count('journal_entries'),
    audit: await count('audit_log'),
    outbox: await count('outbox'),
    identifiers: await t.db.selectFrom('identifiers').select(['id', 'customer_id']).orderBy('id').execute(),
    customers: await t.db.selectFrom('customers').select(['id', 'status', 'profile']).orderBy('id').execute(),
    lots: await t.db.selectFrom('lots').select(['id', 'account_id']).orderBy('id').execute(),
  };
}

describe('mergeProfiles', () => {
  it('keeps, takes over and chooses field by field; equal values need no choice', () => {
    expect(
      mergeProfiles(
        { firstName: 'Anna', gender: 'female', address: { city: 'Москва' } },
        { firstName: 'Анна', middleName: 'Ivanovna', address: { city: 'Москва' }, gender: null },
        { firstName: 'merged', lastName: 'survivor' },
      ),
    ).toEqual({
      profile: { firstName: 'Анна', gender: 'female', address: { city: 'Москва' }, middleName: 'Ivanovna' },
      chosen: { firstName: 'merged' },
      fromMerged: ['firstName', 'middleName'],
    });
  });

  it('names every field that needs a choice, the first as the failing field', () => {
    expect(() =>
      mergeProfiles(
        { lastName: 'A', birthDate: '1990-01-01' },
        { lastName: 'B', birthDate: '1990-01-02' },
        {},
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'field_choice_required',
        status: 422,
        field: 'fieldChoices.birthDate',
      }),
    );
  });
});

describe('mergeCustomers', () => {
  let anna: number;
  let annaToo: number;

  beforeAll(async () => {
    anna = await customer(
      { firstName: 'Anna', lastName: 'Petrova', birthDate: '1990-05-01', gender: 'female' },
      [
        ['phone', '+79161112233'],
        ['email', 'anna@example.com'],
      ],
      { questionnaire: { pets: 'cat' }, card: '7000000001' },
    );
    annaToo = await customer(
      { firstName: 'Анна', lastName: 'Petrova', birthDate: '1990-05-01', middleName: 'Ivanovna' },
      [
        ['phone', '+79264445566'],
        ['email', 'anna@example.com'],
      ],
      { questionnaire: { pets: 'dog', children: 2 }, card: '7000000002' },
    );
    // The survivor owes points: 100 earned, 150 taken back.
    await accrue(anna, 100, d('2026-12-31T21:00:00Z'));
    await tx(async (trx) =>
      clawbackPoints(trx, { ...ctx, programId, accountId: await points(anna), amount: 150, policy: 'debt' }),
    );
    await topUp(anna, 5_000);
    // The duplicate holds lots of different lifetimes, one partly spent and one not yet active.
    await accrue(annaToo, 300, d('2026-09-30T21:00:00Z'));
    await accrue(annaToo, 50, null);
    await accrue(annaToo, 70, d('2027-01-31T21:00:00Z'), d('2026-07-01T00:00:00Z'));
    await tx(async (trx) =>
      spendPoints(trx, { ...ctx, programId, accountId: await points(annaToo), amount: 20 }),
    );
    await topUp(annaToo, 1_000);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('refuses without a choice for a conflicting field and changes nothing', async () => {
    const before = await counts();
    await expect(merge({ survivorId: anna, mergedId: annaToo })).rejects.toMatchObject({
      code: 'field_choice_required',
      status: 422,
      field: 'fieldChoices.firstName',
    });
    expect(await counts()).toEqual(before);
  });

  it('moves cards, identifiers, points with their lots, cash and debt to the survivor', async () => {
    const survivorPoints = await points(anna);
    const mergedPoints = await points(annaToo);
    const result = await merge({
      survivorId: anna,
      mergedId: annaToo,
      fieldChoices: { firstName: 'merged' },
    });
    expect(result).toMatchObject({
      survivorId: anna,
      mergedId: annaToo,
      moved: { identifiers: 2, identifiersDropped: 1, cards: 1, referrals: 0 },
    });
    expect(result.moved.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          fromAccountId: mergedPoints,
          toAccountId: survivorPoints,
          balance: 400,
          lots: 3,
        }),
        expect.objectContaining({ kind: 'cash', balance: 1_000, lots: 0, debt: 0 }),
      ]),
    );

    // Balances add up: points −50 + 400, the debt stays owed; cash 5,000 + 1,000.
    expect(await pointsBalance(t.db, survivorPoints, at)).toEqual({
      balance: 350,
      available: 280 + 50 - 50,
      pending: 70,
      expired: 0,
      debt: 50,
    });
    expect(await pointsBalance(t.db, mergedPoints, at)).toMatchObject({ balance: 0, debt: 0 });
    const cashBalances = await t.db
      .selectFrom('accounts')
      .select(['customer_id', 'balance'])
      .where('kind', '=', 'cash')
      .where('customer_id', 'in', [anna, annaToo])
      .orderBy('customer_id')
      .execute();
    expect(cashBalances).toEqual([
      { customer_id: anna, balance: 6_000 },
      { customer_id: annaToo, balance: 0 },
    ]);

    // The survivor gets lots with the merged lots' dates and remainders (in spend order); the merged
    // account's lots are emptied by the merge entry.
    const lots = (accountId: number) =>
      t.db
        .selectFrom('lots')
        .select(['amount', 'remaining', 'activates_at', 'expires_at'])
        .where('account_id', '=', accountId)
        .where('remaining', '>', 0)
        .orderBy('id')
        .execute();
    expect(await lots(survivorPoints)).toEqual([
      { amount: 280, remaining: 280, activates_at: ctx.occurredAt, expires_at: d('2026-09-30T21:00:00Z') },
      {
        amount: 70,
        remaining: 70,
        activates_at: d('2026-07-01T00:00:00Z'),
        expires_at: d('2027-01-31T21:00:00Z'),
      },
      { amount: 50, remaining: 50, activates_at: ctx.occurredAt, expires_at: null },
    ]);
    expect(await lots(mergedPoints)).toEqual([]);
    // The old account keeps its history: the entries it had, then the merge entry that emptied it.
    const history = await t.db
      .selectFrom('journal_lines')
      .innerJoin('journal_entries', 'journal_entries.id', 'journal_lines.entry_id')
      .select(['journal_entries.kind', 'journal_lines.amount'])
      .where('journal_lines.account_id', '=', mergedPoints)
      .orderBy('journal_lines.id')
      .execute();
    expect(history.map((h) => [h.kind, h.amount])).toEqual([
      ['accrue', 300],
      ['accrue', 50],
      ['accrue', 70],
      ['spend', -20],
      ['merge', -400],
    ]);
    const survivorHistory = await customerHistory(t.db, anna, { limit: 50 });
    expect(survivorHistory.items.filter((i) => i.kind === 'spend').map((i) => i.amount)).toEqual([-20]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('resolves the merged customer’s phone, card and the shared e-mail to the survivor', async () => {
    const { settings } = await loadProgram(t.db, programId);
    for (const identifier of [
      { kind: 'phone', value: '+7 926 444-55-66' },
      { kind: 'card', value: '7000000002' },
      { kind: 'email', value: 'Anna@Example.com' },
      { kind: 'phone', value: '89161112233' },
    ] as const) {
      expect((await resolveCustomer(t.db, programId, identifier, settings)).customerId).toBe(anna);
    }
    const cards = await t.db
      .selectFrom('cards')
      .select('customer_id')
      .where('number', 'like', '700000000_')
      .execute();
    expect(cards.map((c) => c.customer_id)).toEqual([anna, anna]);
  });

  it('marks the merged customer, merges profile and questionnaire, and records the merge', async () => {
    const rows = await t.db
      .selectFrom('customers')
      .select(['id', 'status', 'merged_into', 'profile', 'questionnaire'])
      .where('id', 'in', [anna, annaToo])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      {
        id: anna,
        status: 'active',
        merged_into: null,
        profile: {
          firstName: 'Анна',
          lastName: 'Petrova',
          birthDate: '1990-05-01',
          gender: 'female',
          middleName: 'Ivanovna',
        },
        questionnaire: { pets: 'cat', children: 2 },
      },
      expect.objectContaining({ id: annaToo, status: 'merged', merged_into: anna }),
    ]);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'customer.merge')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'staff:1',
      subject: `customer:${anna}`,
      occurred_at: at,
      changes: {
        mergedId: annaToo,
        fieldChoices: { firstName: 'merged' },
        profileFromMerged: ['firstName', 'middleName'],
        profileReplaced: { firstName: 'Anna' },
        questionnaireFromMerged: ['children'],
        moved: { identifiers: 2, cards: 1 },
      },
    });
    const outbox = await t.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'customer.merged')
      .execute();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      stream: `customer:${programId}:${anna}`,
      payload: { survivorId: anna, mergedId: annaToo },
    });
  });

  it('refuses itself, other programs and customers already merged, naming the field', async () => {
    const other = await t.db
      .insertInto('programs')
      .values({ code: 'other', name: 'Other', currency: 'RUB', time_zone: 'Europe/Moscow' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await customer({}, [['external', 'stranger']], { program: other.id });
    const cases: Array<[Parameters<typeof merge>[0], Record<string, unknown>]> = [
      [
        { survivorId: anna, mergedId: anna },
        { code: 'same_customer', status: 422, field: 'mergedId' },
      ],
      [
        { survivorId: anna, mergedId: stranger },
        { code: 'customer_not_found', status: 404, field: 'mergedId' },
      ],
      [
        { survivorId: 999_999, mergedId: anna },
        { code: 'customer_not_found', status: 404, field: 'survivorId' },
      ],
      [
        { survivorId: anna, mergedId: annaToo },
        { code: 'already_merged', status: 409, field: 'mergedId' },
      ],
      [
        { survivorId: annaToo, mergedId: anna },
        { code: 'already_merged', status: 409, field: 'survivorId' },
      ],
    ];
    for (const [input, error] of cases) {
      await expect(merge(input), JSON.stringify(input)).rejects.toMatchObject(error);
    }
  });

  it('answers both accounts as of times before and after the merge exactly', async () => {
    const keeper = await customer({}, [['external', 'as-of-keeper']]);
    const gone = await customer({}, [['external', 'as-of-gone']]);
    const [keeperPoints, gonePoints] = [await points(keeper), await points(gone)];
    const op = (accountId: number, iso: string) => ({
      programId,
      accountId,
      occurredAt: d(iso),
      actor: 'test',
    });
    await tx(async (trx) => {
      // The merged side: 100 earned on 10 January (expiring on 1 June), 30 of them spent on 1 February,
      // 40 earned on 5 February that become usable on 1 April; the survivor earned 50 on 15 January.
      await accruePoints(trx, {
        ...op(gonePoints, '2026-01-10T00:00:00Z'),
        amount: 100,
        lot: { activatesAt: d('2026-01-10T00:00:00Z'), expiresAt: d('2026-06-01T00:00:00Z') },
      });
      await accruePoints(trx, {
        ...op(keeperPoints, '2026-01-15T00:00:00Z'),
        amount: 50,
        lot: { activatesAt: d('2026-01-15T00:00:00Z'), expiresAt: null },
      });
      await spendPoints(trx, { ...op(gonePoints, '2026-02-01T00:00:00Z'), amount: 30 });
      await accruePoints(trx, {
        ...op(gonePoints, '2026-02-05T00:00:00Z'),
        amount: 40,
        lot: { activatesAt: d('2026-04-01T00:00:00Z'), expiresAt: null },
      });
    });
    const merged = await merge({ survivorId: keeper, mergedId: gone, occurredAt: d('2026-03-01T00:00:00Z') });
    expect(merged.moved.accounts).toEqual([
      expect.objectContaining({
        fromAccountId: gonePoints,
        toAccountId: keeperPoints,
        balance: 110,
        lots: 2,
      }),
    ]);
    // After the merge the survivor spends 20: from the moved lot that expires soonest.
    await tx((trx) => spendPoints(trx, { ...op(keeperPoints, '2026-03-10T00:00:00Z'), amount: 20 }));
    const view = (balance: number, available: number, pending: number, expired: number) => ({
      balance,
      available,
      pending,
      expired,
      debt: 0,
    });
    const expected = {
      '2026-01-12T00:00:00Z': [view(0, 0, 0, 0), view(100, 100, 0, 0)],
      '2026-02-20T00:00:00Z': [view(50, 50, 0, 0), view(110, 70, 40, 0)],
      '2026-03-01T00:00:00Z': [view(160, 120, 40, 0), view(0, 0, 0, 0)],
      '2026-03-20T00:00:00Z': [view(140, 100, 40, 0), view(0, 0, 0, 0)],
      '2026-06-10T00:00:00Z': [view(90, 90, 0, 50), view(0, 0, 0, 0)],
    };
    const answers: Record<string, unknown> = {};
    for (const iso of Object.keys(expected)) {
      answers[iso] = [
        await pointsBalance(t.db, keeperPoints, d(iso)),
        await pointsBalance(t.db, gonePoints, d(iso)),
      ];
    }
    expect(answers).toEqual(expected);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('moves debt, re-points referrals and earlier merges, so merged_into is always one hop', async () => {
    const a = await customer({}, [['external', 'chain-a']]);
    const b = await customer({}, [['external', 'chain-b']]);
    const c = await customer({}, [['external', 'chain-c']]);
    const referred = await customer({}, [['external', 'chain-referred']]);
    await t.db.updateTable('customers').set({ referred_by: b }).where('id', '=', referred).execute();
    // The merged side owes points: the debt follows them (the survivor had no account yet).
    await accrue(a, 10, null);
    await tx(async (trx) =>
      clawbackPoints(trx, { ...ctx, programId, accountId: await points(a), amount: 25, policy: 'debt' }),
    );
    const first = await merge({ survivorId: b, mergedId: a });
    expect(first.moved.accounts).toMatchObject([{ kind: 'points', balance: -15, lots: 0, debt: 15 }]);
    expect(await pointsBalance(t.db, await points(b), at)).toMatchObject({ balance: -15, debt: 15 });
    const second = await merge({ survivorId: c, mergedId: b });
    expect(second.moved).toMatchObject({ referrals: 1, accounts: [{ balance: -15, debt: 15 }] });
    expect(await pointsBalance(t.db, await points(c), at)).toMatchObject({ balance: -15, debt: 15 });
    expect(await ledgerViolations(t.db)).toEqual([]);
    const rows = await t.db
      .selectFrom('customers')
      .select(['id', 'merged_into', 'referred_by'])
      .where('id', 'in', [a, b, referred])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: a, merged_into: c, referred_by: null },
      { id: b, merged_into: c, referred_by: null },
      { id: referred, merged_into: null, referred_by: c },
    ]);
  });

  it('moves purchases and sums promotion usage, so limits and counters see one customer', async () => {
    const a = await customer({}, [['external', 'history-a']]);
    const b = await customer({}, [['external', 'history-b']]);
    const store = await t.db.selectFrom('stores').select('id').executeTakeFirstOrThrow();
    await t.db
      .insertInto('purchases')
      .values({
        program_id: programId,
        store_id: store.id,
        customer_id: a,
        external_ref: 'merge-history',
        occurred_at: at,
        local_date_time: '2026-05-10T12:00:00',
        amount: 1000,
        discount: 0,
        final_amount: 1000,
        points_spent: 0,
        points_earned: 0,
        rule_set_version: null,
        check: '{}',
        result: '{}',
        payments: '[]',
      })
      .execute();
    const usage = (customerId: number, uses: number, firstUsedAt: Date) => ({
      program_id: programId,
      rule_id: 'welcome',
      customer_id: customerId,
      uses,
      discount: 100 * uses,
      points: 0,
      first_used_at: firstUsedAt,
    });
    await t.db
      .insertInto('promotion_usage')
      .values([usage(a, 1, d('2026-03-01T00:00:00Z')), usage(b, 2, d('2026-04-01T00:00:00Z'))])
      .execute();
    const merged = await merge({ survivorId: b, mergedId: a });
    expect(merged.moved).toMatchObject({ purchases: 1, coupons: 0 });
    const rows = await t.db
      .selectFrom('promotion_usage')
      .select(['customer_id', 'uses', 'discount', 'first_used_at'])
      .where('rule_id', '=', 'welcome')
      .execute();
    expect(rows).toEqual([
      { customer_id: b, uses: 3, discount: 300, first_used_at: d('2026-03-01T00:00:00Z') },
    ]);
  });

  it('lets exactly one of two opposite concurrent merges win, without deadlock', async () => {
    const x = await customer({}, [['external', 'race-x']]);
    const y = await customer({}, [['external', 'race-y']]);
    await accrue(x, 10, null);
    await accrue(y, 20, null);
    const results = await Promise.allSettled([
      merge({ survivorId: x, mergedId: y }),
      merge({ survivorId: y, mergedId: x }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.reason).toMatchObject({ code: 'already_merged', status: 409 });
    const balances = await t.db
      .selectFrom('accounts')
      .select('balance')
      .where('kind', '=', 'points')
      .where('customer_id', 'in', [x, y])
      .execute();
    expect(balances.map((b) => b.balance).sort((p, q) => p - q)).toEqual([0, 30]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
