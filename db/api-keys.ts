import type { Kysely } from 'kysely';
import type { DB } from './database';
import type { Database } from './schema';
import { hashApiSecret, randomToken, sameHash } from './secrets';

export interface ApiPrincipal {
  apiKeyId: number;
  programId: number;
  partnerId: number | null;
  storeId: number | null;
  scopes: string[];
}

export interface NewApiKey {
  programId: number;
  partnerId?: number | null;
  storeId?: number | null;
  label: string;
  scopes: string[];
}

/** Issues a key and returns its token once: `lf_<prefix>_<secret>`; only a hash of the secret is kept. */
export async function issueApiKey(
  db: Kysely<Database>,
  key: NewApiKey,
): Promise<{ id: number; token: string }> {
  const prefix = randomToken(6).replace(/[-_]/g, 'x');
  const secret = randomToken(24);
  const row = await db
    .insertInto('api_keys')
    .values({
      program_id: key.programId,
      partner_id: key.partnerId ?? null,
      store_id: key.storeId ?? null,
      label: key.label,
      prefix,
      secret_hash: hashApiSecret(secret),
      scopes: key.scopes,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token: `lf_${prefix}_${secret}` };
}

const tokenPattern = /^lf_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

/** The principal behind a token, or undefined for an unknown, malformed or revoked one. */
export async function authenticateApiKey(db: DB, token: string): Promise<ApiPrincipal | undefined> {
  const match = tokenPattern.exec(token);
  if (!match) return undefined;
  const [, prefix, secret] = match as unknown as [string, string, string];
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'program_id', 'partner_id', 'store_id', 'scopes', 'secret_hash', 'last_used_at'])
    .where('prefix', '=', prefix)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !sameHash(row.secret_hash, hashApiSecret(secret))) return undefined;
  return {
    apiKeyId: row.id,
    programId: row.program_id,
    partnerId: row.partner_id,
    storeId: row.store_id,
    scopes: row.scopes,
  };
}

/** Records use of a key at most once a minute, so the hot path does not write on every call. */
export async function touchApiKey(db: DB, apiKeyId: number, at: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', apiKeyId)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(at.getTime() - 60_000))]),
    )
    .execute();
}
