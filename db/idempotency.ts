import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { canonicalJson } from '../engine/canonical-json';
import { DomainError } from '../engine/errors';
import type { AnswerSeal } from './answer-seal';
import type { DB } from './database';
import type { Database } from './schema';

export interface IdempotentRequest {
  /** Who owns the key space: an API key, a staff user. Keys of different scopes never collide. */
  scope: string;
  key: string;
  /** What was asked: operation name and body. Same key with another request is a conflict. */
  operation: string;
  body: unknown;
  /**
   * Seals the answer's shown-once secrets in the stored copy, so that a replay answers them too;
   * without it they are dropped from the stored copy and a replay answers without them.
   */
  seal?: AnswerSeal;
}

export interface IdempotentResult<T> {
  status: number;
  body: T;
  /** True when this answer is the stored one of an earlier call with the same key. */
  replayed: boolean;
}

/** The key space of an API key's calls: a key's Idempotency-Keys never meet another key's. */
export const idempotencyScopeOf = (principal: { apiKeyId: number }): string =>
  `api-key:${principal.apiKeyId}`;

/** Whether a call with this key has its answer stored: it will be replayed, not run again. */
export async function isAnswered(db: DB, scope: string, key: string): Promise<boolean> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select('key')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Answer fields holding a secret the caller is shown once: a till registration's activation link
 * token, an e-certificate's PIN, a verified one-time code's redemption token. The stored answer holds
 * them sealed (`{ "sealed": … }`, see {@link AnswerSeal}) or not at all, wherever they occur, so no
 * secret rests in clear. A null stays as it is.
 */
const secretAnswerFields: ReadonlySet<string> = new Set(['activationToken', 'pin', 'redemptionToken']);

const isSecret = (field: string, value: unknown): value is string =>
  secretAnswerFields.has(field) && typeof value === 'string';

/** The answer as stored: its secrets sealed, or dropped without a seal. */
const storedAnswer = (body: unknown, seal: AnswerSeal | undefined): string =>
  JSON.stringify(body, (field: string, value: unknown) =>
    isSecret(field, value) ? (seal ? { sealed: seal.seal(value) } : undefined) : value,
  );

/** The stored answer as first given: sealed secrets opened (dropped where they do not open). */
function replayedAnswer(stored: unknown, seal: AnswerSeal | undefined): unknown {
  return JSON.parse(JSON.stringify(stored), (field: string, value: unknown) => {
    if (!secretAnswerFields.has(field) || typeof value !== 'object' || value === null) return value;
    const { sealed } = value as { sealed?: unknown };
    return typeof sealed === 'string' ? seal?.open(sealed) : value;
  });
}

export const idempotencyKeyPattern = /^[A-Za-z0-9_.:-]{8,128}$/;

export function requestHash(operation: string, body: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonicalJson(body)).digest('hex');
}

/**
 * Runs `command` once per (scope, key): the first call runs it and stores its answer in the same
 * transaction, its secrets sealed or dropped; later calls with the same request get the stored answer, with
 * another request a 409.
 * Concurrent calls with one key wait on the key's row lock, so exactly one runs the command.
 * A command that throws leaves nothing behind, the key included.
 */
export async function runIdempotent<T>(
  db: DB,
  request: IdempotentRequest,
  command: (trx: Transaction<Database>) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  if (!idempotencyKeyPattern.test(request.key)) {
    throw new DomainError(
      'invalid_idempotency_key',
      'Idempotency-Key must be 8 to 128 characters of letters, digits, "_", ".", ":" or "-"',
      400,
      'headers.idempotency-key',
    );
  }
  const hash = requestHash(request.operation, request.body);
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({
        scope: request.scope,
        key: request.key,
        request_hash: hash,
        status_code: 0,
        response: 'null',
      })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning(sql<number>`1`.as('claimed'))
      .executeTakeFirst();
    if (!claimed) {
      const stored = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status_code', 'response'])
        .where('scope', '=', request.scope)
        .where('key', '=', request.key)
        .executeTakeFirstOrThrow();
      if (stored.request_hash !== hash) {
        throw new DomainError(
          'idempotency_conflict',
          'this Idempotency-Key was already used with another request',
          409,
          'headers.idempotency-key',
        );
      }
      return {
        status: stored.status_code,
        body: replayedAnswer(stored.response, request.seal) as T,
        replayed: true,
      };
    }
    const result = await command(trx);
    await trx
      .updateTable('idempotency_keys')
      .set({ status_code: result.status, response: storedAnswer(result.body, request.seal) })
      .where('scope', '=', request.scope)
      .where('key', '=', request.key)
      .execute();
    return { ...result, replayed: false };
  });
}
