import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { DB } from '../db/database';
import { hashApiSecret } from '../db/secrets';
import { useApiFixture } from '../test/support/api-fixture';
import { waitFor } from '../test/support/wait';

const api = useApiFixture('auth');

/** A customers:read call of the key: 404 (no such customer) once past authentication. */
const probe = (token: string) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/customers/lookup',
    headers: { authorization: `Bearer ${token}` },
    payload: { customer: { kind: 'phone', value: '+79990000001' } },
  });

/**
 * Changes rows of api_keys without notifying (triggers off for the transaction): what the API then
 * answers shows whether it read the key again or served it from its cache.
 */
const unnotified = (change: (trx: DB) => Promise<unknown>) =>
  api.t.db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await change(trx);
  });

describe('API key cache', () => {
  it('serves a key from the cache, yet refuses it on the call after its revocation', async () => {
    const created = await api.call(
      '/v1/api-keys',
      { label: 'Cached', scopes: ['customers:read'] },
      { token: api.demo.backOfficeApiKey },
    );
    expect(created.statusCode, created.body).toBe(201);
    const { key, token } = created.json();
    // The first call reads the key and stamps its use; the stamp leaves the cache as it is.
    expect((await probe(token)).statusCode).toBe(404);
    await waitFor(async () =>
      (
        await api.t.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', key.id)
          .executeTakeFirstOrThrow()
      ).last_used_at !== null
        ? true
        : undefined,
    );
    await api.changesSeen();
    await unnotified((trx) =>
      trx.updateTable('api_keys').set({ scopes: [] }).where('id', '=', key.id).execute(),
    );
    expect((await probe(token)).statusCode).toBe(404);

    const revoked = await api.call(
      '/v1/api-keys/revoke',
      { apiKeyId: key.id },
      { token: api.demo.backOfficeApiKey },
    );
    expect(revoked.statusCode, revoked.body).toBe(200);
    const refused = await probe(token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toMatchObject({ code: 'unauthenticated' });
  });

  it('answers an unknown token from the cache too, until a change to keys empties it', async () => {
    const secret = 'S'.repeat(32);
    const token = `lf_AAAAAAAA_${secret}`;
    expect((await probe(token)).statusCode).toBe(401);
    await unnotified((trx) =>
      trx
        .insertInto('api_keys')
        .values({
          program_id: api.demo.programId,
          label: 'Unseen',
          prefix: 'AAAAAAAA',
          secret_hash: hashApiSecret(secret),
          scopes: ['customers:read'],
          rate_per_minute: 3000,
          rate_burst: 100,
          last_used_at: new Date(),
        })
        .execute(),
    );
    expect((await probe(token)).statusCode).toBe(401);
    const { key } = (
      await api.call(
        '/v1/api-keys',
        { label: 'Any', scopes: ['customers:read'] },
        { token: api.demo.backOfficeApiKey },
      )
    ).json();
    expect(key.label).toBe('Any');
    expect((await probe(token)).statusCode).toBe(404);
  });
});
