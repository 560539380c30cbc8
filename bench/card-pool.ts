import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { generateCardPool } from '../db/card-pools';
import { createDb } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import { createNumberGenerator, type CardNumberTemplateInput } from '../engine/cards/number-template';

const numbers = 1_000_000;
const template: CardNumberTemplateInput = { prefix: '2775', length: 16 };

async function admin(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * 1 M card numbers: pure generation (engine, in index order), then a pool of 1 M cards written to
 * the `cards` table (unique index on program and number) of a fresh, migrated database created on
 * the server of `databaseUrl` and dropped afterwards. `writeMs` is the whole `generateCardPool` call
 * (its own generation and sorting included). The role needs CREATEDB; prints nothing.
 */
export async function benchCardPool(
  databaseUrl: string,
): Promise<{ numbers: number; generateMs: number; writeMs: number }> {
  const secretKey = randomBytes(32);
  const generator = createNumberGenerator(template, secretKey);
  const t0 = performance.now();
  const generated = generator.generate(0, numbers);
  const generateMs = Math.round(performance.now() - t0);
  if (generated.length !== numbers) throw new Error(`generated ${generated.length} numbers, not ${numbers}`);

  const name = `bench_cards_${randomBytes(6).toString('hex')}`;
  await admin(databaseUrl, `create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 2 });
  try {
    await migrateToLatest(db);
    const program = await db
      .insertInto('programs')
      .values({ code: 'bench', name: 'Bench', currency: 'RUB', time_zone: 'Europe/Moscow' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cardType = await db
      .insertInto('card_types')
      .values({ program_id: program.id, code: 'bench', name: 'Bench', lot_policy: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { inserted, ms } = await generateCardPool(db, {
      programId: program.id,
      cardTypeId: cardType.id,
      template,
      startIndex: 0,
      count: numbers,
      secretKey,
    });
    if (inserted !== numbers) throw new Error(`inserted ${inserted} cards, not ${numbers}`);
    return { numbers, generateMs, writeMs: ms };
  } finally {
    await db.destroy();
    await admin(databaseUrl, `drop database if exists ${name} with (force)`);
  }
}
