import type { FastifyRequest } from 'fastify';
import { authenticateApiKey, touchApiKey, type ApiPrincipal } from '../db/api-keys';
import type { DB } from '../db/database';
import { DomainError } from '../engine/errors';
import type { ApiApp } from './types';

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

/** A preHandler that admits `Authorization: Bearer <api key>` holding `scope`. */
export function requireScope(app: ApiApp, db: DB, scope: string) {
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
    const principal = await authenticateApiKey(db, token);
    if (!principal)
      throw new DomainError('unauthenticated', 'unknown or revoked API key', 401, 'headers.authorization');
    if (!principal.scopes.includes(scope)) {
      throw new DomainError(
        'forbidden',
        `this API key lacks the "${scope}" scope`,
        403,
        'headers.authorization',
      );
    }
    request.principal = principal;
    request.log = request.log.child({ apiKeyId: principal.apiKeyId, storeId: principal.storeId });
    touchApiKey(db, principal.apiKeyId, new Date()).catch((error: unknown) =>
      app.log.warn({ err: error }, 'could not record API key use'),
    );
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
