import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import type { CustomerStatus, IdentifierKind } from '../schema';
import { duplicateCandidatesFor, findDuplicateCandidates } from './duplicates';

let t: TestDatabase;
let programId: number;
let otherProgramId: number;
let seq = 0;

/** A customer written straight into the tables, as an old import would leave it (values not normalised). */
async function customer(
  profile: Record<string, unknown>,
  identifiers: Array<[IdentifierKind, string]>,
  options: { status?: CustomerStatus; program?: number } = {},
): Promise<number> {
  const program = options.program ?? programId;
  const { id } = await t.db
    .insertInto('customers')
    .values({
      program_id: program,
      status: options.status ?? 'active',
      profile: JSON.stringify(profile),
      referral_code: `DUP${(seq += 1)}`,
      registration_channel: 'import',
      registered_at: new Date('2025-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (identifiers.length > 0) {
    await t.db
      .insertInto('identifiers')
      .values(identifiers.map(([kind, value]) => ({ program_id: program, kind, value, customer_id: id })))
      .execute();
  }
  return id;
}

const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId } = await seedTestProgram(t.db));
  const other = await t.db
    .insertInto('programs')
    .values({ code: 'other', name: 'Other', currency: 'RUB', time_zone: 'Europe/Moscow' })
    .returning('id')
    .executeTakeFirstOrThrow();
  otherProgramId = other.id;

  ids.phoneNew = await customer({ firstName: 'Ivan' }, [['phone', '+79161234567']]);
  ids.phoneLegacy = await customer({ firstName: 'Ivan' }, [['phone', '89161234567']]);
  ids.phoneSpaced = await customer({}, [['phone', '+7 (916) 123-45-67']]);
  ids.emailLower = await customer({}, [['email', 'olga.s@mail.ru']]);
  ids.emailUpper = await customer({}, [['email', ' Olga.S@Mail.RU ']]);
  ids.gmailDots = await customer({}, [['email', 'pe.tr.ov+shop@googlemail.com']]);
  ids.gmailPlain = await customer({}, [['email', 'petrov@gmail.com']]);
  ids.fyodor = await customer({ firstName: 'Фёдор', lastName: 'Ёлкин', birthDate: '1980-03-15' }, []);
  ids.fedor = await customer({ firstName: ' федор ', lastName: 'ЕЛКИН', birthDate: '1980-03-15' }, [
    ['phone', '+79035550000'],
  ]);
  // Same name, another birth date; another name, same birth date: neither is a candidate.
  ids.otherDob = await customer({ firstName: 'Фёдор', lastName: 'Ёлкин', birthDate: '1980-03-16' }, []);
  ids.otherName = await customer({ firstName: 'Фёдор', lastName: 'Ёлкина', birthDate: '1980-03-15' }, []);
  ids.unrelated = await customer({ firstName: 'Пётр', lastName: 'Сидоров', birthDate: '1970-01-01' }, [
    ['phone', '+79169999999'],
    ['email', 'sidorov@mail.ru'],
  ]);
  ids.unreadable = await customer({}, [
    ['phone', 'call me'],
    ['email', 'not-an-email'],
  ]);
  // Merged and left customers are no candidates; nor are customers of other programs.
  ids.merged = await customer({}, [['phone', '9161234567']], { status: 'merged' });
  ids.left = await customer({}, [['email', 'olga.s@mail.ru']], { status: 'left' });
  ids.elsewhere = await customer({}, [['phone', '+79161234567']], { program: otherProgramId });
});
afterAll(async () => {
  await t.drop();
});

async function allGroups(limit = 100) {
  return findDuplicateCandidates(t.db, programId, { limit });
}

describe('findDuplicateCandidates', () => {
  it('groups a phone however it was written', async () => {
    const groups = await allGroups();
    expect(groups.find((g) => g.key === 'phone:+79161234567')).toMatchObject({
      kind: 'phone',
      customerIds: [ids.phoneNew, ids.phoneLegacy, ids.phoneSpaced],
    });
  });

  it('groups an e-mail in another case, and Gmail addresses that reach one mailbox', async () => {
    const groups = await allGroups();
    expect(groups.find((g) => g.key === 'email:olga.s@mail.ru')?.customerIds).toEqual([
      ids.emailLower,
      ids.emailUpper,
    ]);
    expect(groups.find((g) => g.key === 'email:petrov@gmail.com')?.customerIds).toEqual([
      ids.gmailDots,
      ids.gmailPlain,
    ]);
  });

  it('groups one name and birth date written with ё or е and in any case', async () => {
    const groups = await allGroups();
    expect(groups.find((g) => g.kind === 'name-dob')).toMatchObject({
      key: 'name-dob:елкин|федор|1980-03-15',
      customerIds: [ids.fyodor, ids.fedor],
    });
  });

  it('leaves unrelated, merged, left and other programs’ customers out', async () => {
    const groups = await allGroups();
    expect(groups).toHaveLength(4);
    const listed = new Set(groups.flatMap((g) => g.customerIds));
    for (const name of ['otherDob', 'otherName', 'unrelated', 'unreadable', 'merged', 'left', 'elsewhere']) {
      expect(listed.has(ids[name]!), name).toBe(false);
    }
  });

  it('pages by the opaque group id without repeats or gaps', async () => {
    const all = await allGroups();
    expect(all.map((g) => g.id)).toEqual([...all.map((g) => g.id)].sort());
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await findDuplicateCandidates(t.db, programId, { limit: 3, cursor });
      if (page.length === 0) break;
      seen.push(...page.map((g) => g.id));
      cursor = page[page.length - 1]!.id;
    }
    expect(seen).toEqual(all.map((g) => g.id));
    expect(all.every((g) => /^[0-9a-f]{16}$/.test(g.id) && !g.id.includes('7916'))).toBe(true);
  });
});

describe('duplicateCandidatesFor', () => {
  it('finds the groups of one customer, the customer first', async () => {
    const groups = await duplicateCandidatesFor(t.db, programId, ids.phoneLegacy!);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      key: 'phone:+79161234567',
      customerIds: [ids.phoneLegacy, ids.phoneNew, ids.phoneSpaced],
    });
  });

  it('agrees with the full search for every kind of key', async () => {
    const all = await allGroups();
    for (const name of ['phoneNew', 'emailUpper', 'gmailPlain', 'fedor']) {
      const id = ids[name]!;
      const mine = await duplicateCandidatesFor(t.db, programId, id);
      const expected = all.filter((g) => g.customerIds.includes(id));
      expect(
        mine.map((g) => [g.id, [...g.customerIds].sort((a, b) => a - b)]),
        name,
      ).toEqual(expected.map((g) => [g.id, g.customerIds]));
    }
  });

  it('answers nothing for customers without duplicates and 404 for unknown ones', async () => {
    expect(await duplicateCandidatesFor(t.db, programId, ids.unrelated!)).toEqual([]);
    expect(await duplicateCandidatesFor(t.db, programId, ids.unreadable!)).toEqual([]);
    // A merged customer's own keys still find the live customers it shares them with.
    expect((await duplicateCandidatesFor(t.db, programId, ids.merged!))[0]?.customerIds).toEqual([
      ids.merged,
      ids.phoneNew,
      ids.phoneLegacy,
      ids.phoneSpaced,
    ]);
    await expect(duplicateCandidatesFor(t.db, programId, ids.elsewhere!)).rejects.toMatchObject({
      code: 'customer_not_found',
      status: 404,
      field: 'customerId',
    });
  });
});
