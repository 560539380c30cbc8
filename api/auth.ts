import type { FastifyRequest } from 'fastify';
import { authenticateApiKey, touchApiKey, useIsStale, type ApiPrincipal } from '../db/api-keys';
import type { DB } from '../db/database';
import type { Logger } from '../platform/logger';
import type { ApiScope } from '../engine/contracts/api-keys';
import { DomainError } from '../engine/errors';
import { RateLimiter } from './rate-limit';
import { requireClientCertificate } from './tls';
import type { ApiDependencies } from './types';

export { actingAs, actorOf } from '../db/api-keys';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

/** The authenticated caller of a route registered with `requireScope`. */
export function principalOf(request: FastifyRequest): ApiPrincipal {
  if (!request.principal)
    throw new DomainError('unauthenticated', 'missing API key', 401, 'headers.authorization');
  return request.principal;
}

/** A call naming a staff user (who ordered an adjustment): a staff user's key may name only its own user. */
export function requireOwnStaffUser(principal: ApiPrincipal, staffUserId: number, field: string): void {
  if (principal.staffUserId !== null && principal.staffUserId !== staffUserId)
    throw new DomainError('staff_mismatch', "a staff user's key acts only as that user", 403, field);
}

/** One rate limiter per database handle, i.e. per API process (tests build one per file). */
const limiters = new WeakMap<DB, RateLimiter>();

function limiterOf(db: DB): RateLimiter {
  let limiter = limiters.get(db);
  if (!limiter) limiters.set(db, (limiter = new RateLimiter()));
  return limiter;
}

/** When this process last recorded each key's use (per database handle, like the limiters). */
const useStamps = new WeakMap<DB, Map<number, number>>();

function stampsOf(db: DB): Map<number, number> {
  let stamps = useStamps.get(db);
  if (!stamps) useStamps.set(db, (stamps = new Map()));
  return stamps;
}

/**
 * An onRequest hook that admits `Authorization: Bearer <api key>` holding `scope`, before the body is
 * parsed or validated: the key must be live, come with its client certificate when it requires one,
 * and be within its rate limit (else 429 with Retry-After). The request's log then names the key, its store and its staff user. Keys are read
 * through the process's change feed (`deps.feed`), which drops them on any change to keys or staff users.
 */
export function requireScope(deps: Pick<ApiDependencies, 'db' | 'feed'>, scope: ApiScope) {
  const { db, feed } = deps;
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token)
      throw new DomainError(
        'unauthenticated',
        'send Authorization: Bearer <api key>',
        401,
        'headers.authorization',
      );
    const key = await authenticateApiKey(db, token, feed);
    if (!key)
      throw new DomainError('unauthenticated', 'unknown or revoked API key', 401, 'headers.authorization');
    requireClientCertificate(request, key.clientCertificateSha256);
    const { principal } = key;
    const decision = limiterOf(db).take(principal.apiKeyId, key.rateLimit);
    if (!decision.allowed) {
      throw new DomainError(
        'rate_limited',
        `this API key's rate limit is reached; retry in ${decision.retryAfterSeconds} s`,
        429,
        'headers.authorization',
        decision.retryAfterSeconds,
      );
    }
    if (!principal.scopes.includes(scope)) {
      throw new DomainError(
        'forbidden',
        `this API key lacks the "${scope}" scope`,
        403,
        'headers.authorization',
      );
    }
    request.principal = principal;
    // The request's own logger (also the reply's, which writes "request completed") names the caller
    // from here on: bound in place, cheaper on the till path than a child logger per request. Fastify's
    // type hides that it is the pino logger the server was given (deps.log).
    (request.log as Logger).setBindings({
      apiKeyId: principal.apiKeyId,
      storeId: principal.storeId,
      staffUserId: principal.staffUserId,
    });
    const now = new Date();
    // The cached key keeps the stamp it was read with: this process's own stamps count too.
    const stamps = stampsOf(db);
    const stampedAt = Math.max(stamps.get(principal.apiKeyId) ?? 0, key.lastUsedAt?.getTime() ?? 0);
    if (useIsStale(stampedAt === 0 ? null : new Date(stampedAt), now)) {
      stamps.set(principal.apiKeyId, now.getTime());
      touchApiKey(db, principal.apiKeyId, now).catch((error: unknown) =>
        request.log.warn({ err: error }, 'could not record API key use'),
      );
    }
  };
}

/** The Idempotency-Key header every mutating call must carry. */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) {
    throw new DomainError(
      'idempotency_key_required',
      'send an Idempotency-Key header',
      400,
      'headers.idempotency-key',
    );
  }
  return key;
}
