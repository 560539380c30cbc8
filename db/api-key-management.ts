import type { Kysely } from 'kysely';
import {
  roleScopes,
  type ApiKey,
  type CreateApiKey,
  type IssuedApiKey,
  type ListApiKeysQuery,
  type UpdateApiKey,
} from '../engine/contracts/api-keys';
import { DomainError } from '../engine/errors';
import { issueApiKey } from './api-keys';
import { recordAudit } from './audit';
import type { Database } from './schema';

/**
 * The back office's side of API keys: create, list, change, revoke, rotate. A caller manages only keys
 * whose scopes it holds itself, so managing keys never widens what the caller can do.
 */

interface Manager {
  programId: number;
  actor: string;
  /** The scopes of the calling key. */
  scopes: readonly string[];
  /** A partner's key manages only that partner's keys; null: the whole program's. */
  partnerId: number | null;
}

function selectKeys(db: Kysely<Database>, programId: number) {
  return db
    .selectFrom('api_keys')
    .leftJoin('staff_users', 'staff_users.id', 'api_keys.staff_user_id')
    .select([
      'api_keys.id',
      'api_keys.label',
      'api_keys.prefix',
      'api_keys.partner_id',
      'api_keys.store_id',
      'api_keys.staff_user_id',
      'api_keys.scopes',
      'api_keys.rate_per_minute',
      'api_keys.rate_burst',
      'api_keys.client_cert_sha256',
      'api_keys.replaces_id',
      'api_keys.created_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
      'staff_users.role',
    ])
    .where('api_keys.program_id', '=', programId);
}

type KeyRow = Awaited<ReturnType<ReturnType<typeof selectKeys>['executeTakeFirstOrThrow']>>;

function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    label: row.label,
    prefix: row.prefix,
    partnerId: row.partner_id,
    storeId: row.store_id,
    staffUserId: row.staff_user_id,
    role: row.role,
    scopes: row.role ? [...roleScopes[row.role]] : row.scopes,
    rateLimit: { perMinute: row.rate_per_minute, burst: row.rate_burst },
    clientCertificateSha256: row.client_cert_sha256,
    replacesId: row.replaces_id,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

function requireHeld(manager: Manager, scopes: readonly string[], field: (index: number) => string): void {
  scopes.forEach((scope, index) => {
    if (!manager.scopes.includes(scope))
      throw new DomainError(
        'scope_not_held',
        `the calling key lacks the "${scope}" scope`,
        403,
        field(index),
      );
  });
}

/** A live key of the program, locked for the change, that the manager may manage. */
async function lockLiveKey(db: Kysely<Database>, manager: Manager, apiKeyId: number): Promise<ApiKey> {
  const row = await selectKeys(db, manager.programId)
    .where('api_keys.id', '=', apiKeyId)
    .forUpdate('api_keys')
    .executeTakeFirst();
  const key = row ? toApiKey(row) : undefined;
  if (!key || (manager.partnerId !== null && key.partnerId !== manager.partnerId)) {
    throw new DomainError('api_key_not_found', `no API key ${apiKeyId}`, 404, 'apiKeyId');
  }
  requireHeld(manager, key.scopes, () => 'apiKeyId');
  if (key.revokedAt)
    throw new DomainError('api_key_revoked', `API key ${apiKeyId} is revoked`, 409, 'apiKeyId');
  return key;
}

async function keyById(db: Kysely<Database>, programId: number, apiKeyId: number): Promise<ApiKey> {
  return toApiKey(
    await selectKeys(db, programId).where('api_keys.id', '=', apiKeyId).executeTakeFirstOrThrow(),
  );
}

/** Who the key is for: a store (and so its partner), a partner, or a staff user (and so its role's scopes). */
async function holderOf(
  trx: Kysely<Database>,
  manager: Manager,
  input: CreateApiKey,
): Promise<{ partnerId: number | null; storeId: number | null; scopes: readonly string[] }> {
  if (manager.partnerId !== null) {
    if (input.staffUserId !== undefined) {
      throw new DomainError('partner_key', "a partner's key cannot make staff keys", 403, 'staffUserId');
    }
    if (input.partnerId !== undefined && input.partnerId !== manager.partnerId) {
      throw new DomainError(
        'partner_key',
        "a partner's key makes keys for its own partner",
        403,
        'partnerId',
      );
    }
    if (input.storeId === undefined) input = { ...input, partnerId: manager.partnerId };
  }
  if (input.staffUserId !== undefined) {
    const staff = await trx
      .selectFrom('staff_users')
      .select('role')
      .where('id', '=', input.staffUserId)
      .where('program_id', '=', manager.programId)
      .executeTakeFirst();
    if (!staff)
      throw new DomainError('staff_user_not_found', `no staff user ${input.staffUserId}`, 404, 'staffUserId');
    requireHeld(manager, roleScopes[staff.role], () => 'staffUserId');
    return { partnerId: null, storeId: null, scopes: roleScopes[staff.role] };
  }
  const scopes = [...new Set(input.scopes)];
  requireHeld(manager, scopes, (index) => `scopes.${input.scopes!.indexOf(scopes[index]!)}`);
  if (input.storeId !== undefined) {
    const store = await trx
      .selectFrom('stores')
      .innerJoin('partners', 'partners.id', 'stores.partner_id')
      .select('stores.partner_id')
      .where('stores.id', '=', input.storeId)
      .where('partners.program_id', '=', manager.programId)
      .executeTakeFirst();
    if (!store) throw new DomainError('store_not_found', `no store ${input.storeId}`, 404, 'storeId');
    if (input.partnerId !== undefined && input.partnerId !== store.partner_id)
      throw new DomainError('store_not_of_partner', 'the store belongs to another partner', 422, 'storeId');
    if (manager.partnerId !== null && store.partner_id !== manager.partnerId) {
      throw new DomainError('partner_key', "a partner's key makes keys for its own stores", 403, 'storeId');
    }
    return { partnerId: store.partner_id, storeId: input.storeId, scopes };
  }
  if (input.partnerId !== undefined) {
    const partner = await trx
      .selectFrom('partners')
      .select('id')
      .where('id', '=', input.partnerId)
      .where('program_id', '=', manager.programId)
      .executeTakeFirst();
    if (!partner)
      throw new DomainError('partner_not_found', `no partner ${input.partnerId}`, 404, 'partnerId');
  }
  return { partnerId: input.partnerId ?? null, storeId: null, scopes };
}

/** Creates a key for a partner, a store or a staff user; the answer carries its token, shown only here. */
export async function createApiKey(
  trx: Kysely<Database>,
  manager: Manager,
  input: CreateApiKey,
): Promise<IssuedApiKey> {
  const holder = await holderOf(trx, manager, input);
  const issued = await issueApiKey(trx, {
    programId: manager.programId,
    ...holder,
    staffUserId: input.staffUserId ?? null,
    label: input.label,
    rateLimit: input.rateLimit,
    clientCertificateSha256: input.clientCertificateSha256 ?? null,
  });
  const key = await keyById(trx, manager.programId, issued.id);
  await recordAudit(trx, {
    programId: manager.programId,
    actor: manager.actor,
    action: 'api_key.create',
    subject: `api-key:${key.id}`,
    changes: {
      label: key.label,
      partnerId: key.partnerId,
      storeId: key.storeId,
      staffUserId: key.staffUserId,
      scopes: key.scopes,
      rateLimit: key.rateLimit,
      clientCertificateSha256: key.clientCertificateSha256,
    },
    occurredAt: new Date(),
  });
  return { key, token: issued.token };
}

/** The program's keys, newest first, without secrets. */
export async function listApiKeys(
  db: Kysely<Database>,
  programId: number,
  query: ListApiKeysQuery,
): Promise<ApiKey[]> {
  let select = selectKeys(db, programId);
  if (query.partnerId !== undefined) select = select.where('api_keys.partner_id', '=', query.partnerId);
  if (query.storeId !== undefined) select = select.where('api_keys.store_id', '=', query.storeId);
  if (query.staffUserId !== undefined)
    select = select.where('api_keys.staff_user_id', '=', query.staffUserId);
  if (query.revoked !== undefined)
    select = select.where('api_keys.revoked_at', query.revoked === 'true' ? 'is not' : 'is', null);
  const rows = await select.orderBy('api_keys.id', 'desc').execute();
  return rows.map(toApiKey);
}

async function markRevoked(trx: Kysely<Database>, apiKeyId: number, at: Date): Promise<void> {
  await trx.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', apiKeyId).execute();
}

/** Revokes a key: its next call is refused (keys are read on every call, nothing caches them). */
export async function revokeApiKey(
  trx: Kysely<Database>,
  manager: Manager,
  apiKeyId: number,
): Promise<ApiKey> {
  await lockLiveKey(trx, manager, apiKeyId);
  const now = new Date();
  await markRevoked(trx, apiKeyId, now);
  await recordAudit(trx, {
    programId: manager.programId,
    actor: manager.actor,
    action: 'api_key.revoke',
    subject: `api-key:${apiKeyId}`,
    changes: {},
    occurredAt: now,
  });
  return keyById(trx, manager.programId, apiKeyId);
}

/** Replaces a key by a new one with the same holder, scopes, limit and certificate; the old one is revoked. */
export async function rotateApiKey(
  trx: Kysely<Database>,
  manager: Manager,
  apiKeyId: number,
): Promise<IssuedApiKey> {
  const old = await lockLiveKey(trx, manager, apiKeyId);
  const issued = await issueApiKey(trx, {
    programId: manager.programId,
    partnerId: old.partnerId,
    storeId: old.storeId,
    staffUserId: old.staffUserId,
    label: old.label,
    scopes: old.scopes,
    rateLimit: old.rateLimit,
    clientCertificateSha256: old.clientCertificateSha256,
    replacesId: old.id,
  });
  const now = new Date();
  await markRevoked(trx, apiKeyId, now);
  await recordAudit(trx, {
    programId: manager.programId,
    actor: manager.actor,
    action: 'api_key.rotate',
    subject: `api-key:${issued.id}`,
    changes: { replaces: apiKeyId },
    occurredAt: now,
  });
  return { key: await keyById(trx, manager.programId, issued.id), token: issued.token };
}

/** Renames a key, changes its rate limit, or sets or lifts its client-certificate requirement. */
export async function updateApiKey(
  trx: Kysely<Database>,
  manager: Manager,
  input: UpdateApiKey,
): Promise<ApiKey> {
  const before = await lockLiveKey(trx, manager, input.apiKeyId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (input.label !== undefined && input.label !== before.label)
    changes.label = { from: before.label, to: input.label };
  if (
    input.rateLimit !== undefined &&
    (input.rateLimit.perMinute !== before.rateLimit.perMinute ||
      input.rateLimit.burst !== before.rateLimit.burst)
  )
    changes.rateLimit = { from: before.rateLimit, to: input.rateLimit };
  if (
    input.clientCertificateSha256 !== undefined &&
    input.clientCertificateSha256 !== before.clientCertificateSha256
  )
    changes.clientCertificateSha256 = {
      from: before.clientCertificateSha256,
      to: input.clientCertificateSha256,
    };
  if (Object.keys(changes).length === 0) return before;
  await trx
    .updateTable('api_keys')
    .set({
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...(input.rateLimit !== undefined
        ? { rate_per_minute: input.rateLimit.perMinute, rate_burst: input.rateLimit.burst }
        : {}),
      ...(input.clientCertificateSha256 !== undefined
        ? { client_cert_sha256: input.clientCertificateSha256 }
        : {}),
    })
    .where('id', '=', input.apiKeyId)
    .execute();
  await recordAudit(trx, {
    programId: manager.programId,
    actor: manager.actor,
    action: 'api_key.update',
    subject: `api-key:${input.apiKeyId}`,
    changes,
    occurredAt: new Date(),
  });
  return keyById(trx, manager.programId, input.apiKeyId);
}
