import type { Kysely } from 'kysely';
import { defaultRateLimit, roleScopes, type RateLimit } from '../engine/contracts/api-keys';
import { cachePerFeed, type ChangeFeed } from './change-feed';
import type { DB } from './database';
import type { Database } from './schema';
import { hashApiSecret, randomToken, sameHash } from './secrets';

export interface ApiPrincipal {
  apiKeyId: number;
  programId: number;
  partnerId: number | null;
  storeId: number | null;
  /** Set for a staff user's key: every call is the user's. */
  staffUserId: number | null;
  scopes: string[];
}

/** An authenticated key: its principal and what its calls must also satisfy. */
export interface AuthenticatedKey {
  principal: ApiPrincipal;
  rateLimit: RateLimit;
  /** SHA-256 (lower-case hex) of the client certificate the call must come with, or null. */
  clientCertificateSha256: string | null;
  /** When the key was last recorded as used (at most a minute behind). */
  lastUsedAt: Date | null;
}

export interface NewApiKey {
  programId: number;
  partnerId?: number | null;
  storeId?: number | null;
  staffUserId?: number | null;
  label: string;
  scopes: readonly string[];
  rateLimit?: RateLimit;
  clientCertificateSha256?: string | null;
  replacesId?: number | null;
}

/** Issues a key and returns its token once: `lf_<prefix>_<secret>`; only a hash of the secret is kept. */
export async function issueApiKey(
  db: Kysely<Database>,
  key: NewApiKey,
): Promise<{ id: number; token: string }> {
  const prefix = randomToken(6).replace(/[-_]/g, 'x');
  const secret = randomToken(24);
  const rateLimit = key.rateLimit ?? defaultRateLimit;
  const row = await db
    .insertInto('api_keys')
    .values({
      program_id: key.programId,
      partner_id: key.partnerId ?? null,
      store_id: key.storeId ?? null,
      staff_user_id: key.staffUserId ?? null,
      label: key.label,
      prefix,
      secret_hash: hashApiSecret(secret),
      scopes: [...key.scopes],
      rate_per_minute: rateLimit.perMinute,
      rate_burst: rateLimit.burst,
      client_cert_sha256: key.clientCertificateSha256 ?? null,
      replaces_id: key.replacesId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token: `lf_${prefix}_${secret}` };
}

const tokenPattern = /^lf_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

/** What authenticating a key reads of it: its row, while live, with its staff user's role. */
async function readLiveKey(db: DB, prefix: string) {
  return db
    .selectFrom('api_keys')
    .leftJoin('staff_users', 'staff_users.id', 'api_keys.staff_user_id')
    .select([
      'api_keys.id',
      'api_keys.program_id',
      'api_keys.partner_id',
      'api_keys.store_id',
      'api_keys.staff_user_id',
      'api_keys.scopes',
      'api_keys.secret_hash',
      'api_keys.rate_per_minute',
      'api_keys.rate_burst',
      'api_keys.client_cert_sha256',
      'api_keys.last_used_at',
      'staff_users.role',
    ])
    .where('api_keys.prefix', '=', prefix)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Live keys by prefix, unknown and revoked prefixes included (as undefined), so a flood of bad tokens
 * does not reach the database either. Any change to keys or staff users (an issue, a revocation, a
 * role change; not the once-a-minute use stamp, see migration 0013) drops them all.
 */
const liveKeys = cachePerFeed<Awaited<ReturnType<typeof readLiveKey>>>(['api_keys', 'staff_users'], 10_000);

/**
 * The key behind a token, or undefined for an unknown, malformed or revoked one. With `feed` the key's
 * row comes from the process's cache, which a change to keys or staff users empties before the next
 * call, so a revocation, a role change or a new rate limit still applies to the next call. The secret
 * is checked against the row's hash on every call.
 */
export async function authenticateApiKey(
  db: DB,
  token: string,
  feed?: ChangeFeed,
): Promise<AuthenticatedKey | undefined> {
  const match = tokenPattern.exec(token);
  if (!match) return undefined;
  const [, prefix, secret] = match as unknown as [string, string, string];
  const read = () => readLiveKey(db, prefix);
  const row = feed ? await liveKeys(feed).get(prefix, read) : await read();
  if (!row || !sameHash(row.secret_hash, hashApiSecret(secret))) return undefined;
  return {
    principal: {
      apiKeyId: row.id,
      programId: row.program_id,
      partnerId: row.partner_id,
      storeId: row.store_id,
      staffUserId: row.staff_user_id,
      scopes: row.role ? [...roleScopes[row.role]] : [...row.scopes],
    },
    rateLimit: { perMinute: row.rate_per_minute, burst: row.rate_burst },
    clientCertificateSha256: row.client_cert_sha256,
    lastUsedAt: row.last_used_at,
  };
}

/** Whether a key's last use is older than the minute `touchApiKey` records at. */
export const useIsStale = (lastUsedAt: Date | null, at: Date): boolean =>
  lastUsedAt === null || lastUsedAt.getTime() < at.getTime() - 60_000;

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

/** The program a call works in and who it is, as management commands take them. */
export function actingAs(principal: ApiPrincipal): { programId: number; actor: string } {
  return { programId: principal.programId, actor: actorOf(principal) };
}

/** Who a call is, for audit records: the staff user of a staff key (`staff:3`), else the key (`api-key:12`). */
export function actorOf(principal: ApiPrincipal): string {
  return principal.staffUserId !== null ? `staff:${principal.staffUserId}` : `api-key:${principal.apiKeyId}`;
}
