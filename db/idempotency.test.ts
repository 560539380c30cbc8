import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { AnswerSeal } from './answer-seal';
import { runIdempotent } from './idempotency';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('programs')
    .values({ code: 'p', name: 'P', currency: 'RUB', time_zone: 'Europe/Moscow' })
    .execute();
});
afterAll(() => t.drop());

const programCount = async () =>
  Number(
    (
      await t.db
        .selectFrom('partners')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

function createPartner(code: string) {
  return async (trx: Parameters<Parameters<typeof runIdempotent>[2]>[0]) => {
    const row = await trx
      .insertInto('partners')
      .values({ program_id: 1, code, name: code })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { status: 201, body: { id: row.id } };
  };
}

describe('runIdempotent', () => {
  it('runs once per key: the same request gets the stored answer', async () => {
    const request = { scope: 's1', key: 'key-00001', operation: 'create partner', body: { code: 'a' } };
    const first = await runIdempotent(t.db, request, createPartner('a'));
    const second = await runIdempotent(t.db, { ...request, body: { code: 'a' } }, createPartner('a'));
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ ...first, replayed: true });
    expect(await programCount()).toBe(1);
  });

  it('answers 409 for the same key with another body, and writes nothing', async () => {
    const request = { scope: 's1', key: 'key-00001', operation: 'create partner', body: { code: 'b' } };
    await expect(runIdempotent(t.db, request, createPartner('b'))).rejects.toMatchObject({
      code: 'idempotency_conflict',
      status: 409,
      field: 'headers.idempotency-key',
    });
    expect(await programCount()).toBe(1);
  });

  it('keeps key spaces of different scopes apart', async () => {
    const result = await runIdempotent(
      t.db,
      { scope: 's2', key: 'key-00001', operation: 'create partner', body: { code: 'c' } },
      createPartner('c'),
    );
    expect(result.replayed).toBe(false);
  });

  it('lets exactly one of many concurrent calls with one key run the command', async () => {
    const request = { scope: 's3', key: 'concurrent-1', operation: 'create partner', body: { code: 'd' } };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => runIdempotent(t.db, request, createPartner('d'))),
    );
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('leaves nothing behind when the command fails, so the key can be used again', async () => {
    const request = { scope: 's4', key: 'failing-01', operation: 'create partner', body: { code: 'e' } };
    await expect(
      runIdempotent(t.db, request, async (trx) => {
        await createPartner('e')(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.db.selectFrom('partners').where('code', '=', 'e').selectAll().execute()).toHaveLength(0);
    const retried = await runIdempotent(t.db, request, createPartner('e'));
    expect(retried.replayed).toBe(false);
  });

  it('with a seal, stores the secrets sealed, replays them as first answered, and drops what another secret sealed', async () => {
    const answer = { customerId: 8, activationToken: 'token-in-clear', soldGiftCards: [{ pin: '13572468' }] };
    const request = { scope: 's6', key: 'sealed-01', operation: 'register', body: { phone: '+7' } };
    const seal = new AnswerSeal('server-secret-one-server-secret-one');
    await runIdempotent(t.db, { ...request, seal }, async () => ({ status: 201, body: answer }));
    const stored = await t.db
      .selectFrom('idempotency_keys')
      .select(sql<string>`response::text`.as('text'))
      .where('scope', '=', 's6')
      .executeTakeFirstOrThrow();
    expect(stored.text).not.toContain('token-in-clear');
    expect(stored.text).not.toContain('13572468');
    const replay = await runIdempotent(t.db, { ...request, seal }, async () => ({ status: 500, body: {} }));
    expect(replay).toEqual({ status: 201, body: answer, replayed: true });
    const rotated = new AnswerSeal('server-secret-two-server-secret-two');
    const unopened = await runIdempotent(t.db, { ...request, seal: rotated }, async () => ({
      status: 500,
      body: {},
    }));
    expect(unopened.body).toEqual({ customerId: 8, soldGiftCards: [{}] });
  });

  it('stores the answer without its secrets (activation token, PIN, redemption token; a null stays) and replays it so', async () => {
    const answer = {
      customerId: 7,
      activationToken: 'token-in-clear',
      redemptionToken: 'bearer-in-clear',
      soldGiftCards: [
        { line: 1, number: '7780001', pin: '24681357' },
        { line: 2, number: '7780002', pin: null },
      ],
    };
    const request = { scope: 's5', key: 'secrets-01', operation: 'register', body: { phone: '+7' } };
    const first = await runIdempotent(t.db, request, async () => ({ status: 201, body: answer }));
    expect(first).toEqual({ status: 201, body: answer, replayed: false });
    const stored = await t.db
      .selectFrom('idempotency_keys')
      .select('response')
      .where('scope', '=', 's5')
      .executeTakeFirstOrThrow();
    const redacted = {
      customerId: 7,
      soldGiftCards: [
        { line: 1, number: '7780001' },
        { line: 2, number: '7780002', pin: null },
      ],
    };
    expect(stored.response).toEqual(redacted);
    const replay = await runIdempotent(t.db, request, async () => ({ status: 201, body: answer }));
    expect(replay).toEqual({ status: 201, body: redacted, replayed: true });
  });

  it('rejects a malformed key naming the header', async () => {
    await expect(
      runIdempotent(t.db, { scope: 's', key: 'short', operation: 'x', body: {} }, createPartner('f')),
    ).rejects.toMatchObject({
      status: 400,
      field: 'headers.idempotency-key',
    });
  });
});
