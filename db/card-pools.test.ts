import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLuhnValid } from '../engine/cards/luhn';
import { createNumberGenerator, type CardNumberTemplateInput } from '../engine/cards/number-template';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { rejection } from '../test/support/rejection';
import { generateCardPool } from './card-pools';
import { createDb, type DB } from './database';

const template: CardNumberTemplateInput = { prefix: '2775', length: 16 };
const secretKey = randomBytes(32);

let t: TestDatabase;
let programId: number;
let cardTypeId: number;

async function createProgram(db: DB, code: string): Promise<{ programId: number; cardTypeId: number }> {
  const program = await db
    .insertInto('programs')
    .values({ code, name: code, currency: 'RUB', time_zone: 'Europe/Moscow' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const cardType = await db
    .insertInto('card_types')
    .values({ program_id: program.id, code: 'plastic', name: 'Plastic card', lot_policy: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { programId: program.id, cardTypeId: cardType.id };
}

const cardCount = async (program: number) =>
  Number(
    (
      await t.db
        .selectFrom('cards')
        .where('program_id', '=', program)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId, cardTypeId } = await createProgram(t.db, 'cards'));
});
afterAll(() => t.drop());

describe('generateCardPool', () => {
  it('writes a pool of 20 000 new cards with distinct, valid numbers', async () => {
    const result = await generateCardPool(t.db, {
      programId,
      cardTypeId,
      template,
      startIndex: 0,
      count: 20_000,
      secretKey,
    });
    expect(result.inserted).toBe(20_000);
    expect(result.ms).toBeGreaterThan(0);

    const rows = await t.db
      .selectFrom('cards')
      .select(['number', 'status', 'virtual', 'card_type_id', 'customer_id', 'pool_id'])
      .where('program_id', '=', programId)
      .execute();
    expect(rows).toHaveLength(20_000);
    const numbers = new Set(rows.map((r) => r.number));
    expect(numbers.size).toBe(20_000);
    expect(
      rows.every((r) => r.number.length === 16 && r.number.startsWith('2775') && isLuhnValid(r.number)),
    ).toBe(true);
    expect(
      new Set(
        rows.map((r) => JSON.stringify([r.status, r.virtual, r.card_type_id, r.customer_id, r.pool_id])),
      ),
    ).toEqual(new Set([JSON.stringify(['new', false, cardTypeId, null, null])]));
    // exactly the generator's numbers for indexes 0 … 19 999
    const expected = createNumberGenerator(template, secretKey).generate(0, 20_000);
    expect(expected.every((n) => numbers.has(n))).toBe(true);
  });

  it('writes nothing when the index range overlaps an existing pool', async () => {
    const before = await cardCount(programId);
    const error = await rejection(
      generateCardPool(t.db, {
        programId,
        cardTypeId,
        template,
        startIndex: 15_000,
        count: 60_000,
        secretKey,
      }),
    );
    expect([error.code, error.status]).toEqual(['card_number_taken', 409]);
    expect(await cardCount(programId)).toBe(before);

    const next = await generateCardPool(t.db, {
      programId,
      cardTypeId,
      template,
      startIndex: 20_000,
      count: 1_000,
      secretKey,
      virtual: true,
    });
    expect(next.inserted).toBe(1_000);
    expect(await cardCount(programId)).toBe(before + 1_000);
  });

  it('keeps numbers unique per program only', async () => {
    const other = await createProgram(t.db, 'other');
    const result = await generateCardPool(t.db, {
      ...other,
      template,
      startIndex: 0,
      count: 2_000,
      secretKey,
    });
    expect(result.inserted).toBe(2_000);
  });

  it('refuses a card type of another program and an index range beyond the template', async () => {
    const other = await createProgram(t.db, 'third');
    const before = await cardCount(programId);
    const foreign = await rejection(
      generateCardPool(t.db, {
        programId,
        cardTypeId: other.cardTypeId,
        template,
        startIndex: 50_000,
        count: 10,
        secretKey,
      }),
    );
    expect([foreign.code, foreign.status]).toEqual(['card_type_not_found', 404]);

    const small = { prefix: '77', length: 10 }; // 10 000 issuable numbers
    const exhausted = await rejection(
      generateCardPool(t.db, {
        programId,
        cardTypeId,
        template: small,
        startIndex: 9_000,
        count: 1_001,
        secretKey,
      }),
    );
    expect(exhausted.code).toBe('card_numbers_exhausted');
    expect(await cardCount(programId)).toBe(before);
  });

  it('gives the same result through the foreign-key triggers for a role that is not superuser', async () => {
    const role = `cards_${randomBytes(4).toString('hex')}`;
    await sql`create role ${sql.id(role)} login password 'cards'`.execute(t.db);
    await sql`grant select, insert on programs, card_types, cards to ${sql.id(role)}`.execute(t.db);
    const url = new URL(t.url);
    url.username = role;
    url.password = 'cards';
    const db = createDb(url.toString(), { max: 1 });
    try {
      const fourth = await createProgram(t.db, 'fourth');
      const result = await generateCardPool(db, {
        ...fourth,
        template,
        startIndex: 0,
        count: 3_000,
        secretKey,
      });
      expect(result.inserted).toBe(3_000);
      expect(await cardCount(fourth.programId)).toBe(3_000);
      const taken = await rejection(
        generateCardPool(db, { ...fourth, template, startIndex: 2_999, count: 2, secretKey }),
      );
      expect(taken.code).toBe('card_number_taken');
    } finally {
      await db.destroy();
      await sql`drop owned by ${sql.id(role)}`.execute(t.db);
      await sql`drop role ${sql.id(role)}`.execute(t.db);
    }
  });
});
