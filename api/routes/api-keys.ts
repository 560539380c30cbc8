import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { ApiPrincipal } from '../../db/api-keys';
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  updateApiKey,
} from '../../db/api-key-management';
import { idempotencyScopeOf, runIdempotent } from '../../db/idempotency';
import type { Database } from '../../db/schema';
import {
  apiKeyIdSchema,
  apiKeySchema,
  createApiKeySchema,
  issuedApiKeySchema,
  listApiKeysQuerySchema,
  updateApiKeySchema,
  type IssuedApiKey,
} from '../../engine/contracts/api-keys';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { actingAs, idempotencyKeyOf, principalOf, requireScope } from '../auth';
import { idempotencyHeaders, mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'keys:manage';
const managerOf = (principal: ApiPrincipal) => ({
  ...actingAs(principal),
  scopes: principal.scopes,
  partnerId: principal.partnerId,
});

interface IssuingRoute<B extends z.ZodType> {
  url: string;
  summary: string;
  description: string;
  body: B;
  status: 200 | 201;
  run(trx: Transaction<Database>, body: z.infer<B>, principal: ApiPrincipal): Promise<IssuedApiKey>;
}

/**
 * A POST that issues a token: idempotent like every mutation, but the stored answer has no token, so
 * no secret rests in plain text and a replay answers the key without it (rotate it if the first
 * answer was lost).
 */
function issuing<B extends z.ZodType>(app: ApiApp, deps: ApiDependencies, route: IssuingRoute<B>): void {
  app.post(
    route.url,
    {
      onRequest: requireScope(deps, scope),
      schema: {
        summary: route.summary,
        description: route.description,
        security: [{ apiKey: [] }],
        headers: idempotencyHeaders,
        body: route.body,
        response: { [route.status]: issuedApiKeySchema, '4xx': apiErrorSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      let token: string | undefined;
      const result = await runIdempotent(
        deps.db,
        {
          scope: idempotencyScopeOf(principal),
          key: idempotencyKeyOf(request),
          operation: `POST ${route.url}`,
          body: request.body,
        },
        async (trx) => {
          const issued = await route.run(trx, request.body as z.infer<B>, principal);
          token = issued.token;
          return { status: route.status, body: { key: issued.key } };
        },
      );
      // A new key (and, rotating, a revoked one) must work (or fail) on the caller's very next call.
      await deps.feed?.sync();
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      reply.header('cache-control', 'no-store');
      return reply.status(result.status).send(token === undefined ? result.body : { ...result.body, token });
    },
  );
}

/** API keys of partners, stores and staff users: create, list, change, revoke, rotate. */
export function registerApiKeyRoutes(app: ApiApp, deps: ApiDependencies): void {
  issuing(app, deps, {
    url: '/v1/api-keys',
    summary: 'Create an API key for a partner, a store or a staff user',
    description:
      "A staff user's key holds the scopes of the user's role and its calls are the user's; a partner or store key holds the scopes given. The caller can grant only scopes it holds. The token is in this answer only. Default rate limit: 3000 a minute, 100 at once.",
    body: createApiKeySchema,
    status: 201,
    run: (trx, body, principal) => createApiKey(trx, managerOf(principal), body),
  });

  read(app, deps, {
    url: '/v1/api-keys',
    scope,
    summary: "The program's API keys, newest first, without secrets",
    querystring: listApiKeysQuerySchema,
    response: z.object({ items: z.array(apiKeySchema) }),
    run: async ({ query }, principal) => ({
      items: await listApiKeys(deps.db, principal.programId, {
        ...query,
        ...(principal.partnerId !== null ? { partnerId: principal.partnerId } : {}),
      }),
    }),
  });

  mutation(app, deps, {
    url: '/v1/api-keys/update',
    changesCachedReads: true,
    scope,
    summary: 'Rename a key, change its rate limit, or set or lift its client certificate',
    body: updateApiKeySchema,
    response: apiKeySchema,
    run: (trx, body, principal) => updateApiKey(trx, managerOf(principal), body),
  });

  mutation(app, deps, {
    url: '/v1/api-keys/revoke',
    changesCachedReads: true,
    scope,
    summary: 'Revoke a key: its next call is refused',
    body: apiKeyIdSchema,
    response: apiKeySchema,
    run: (trx, body, principal) => revokeApiKey(trx, managerOf(principal), body.apiKeyId),
  });

  issuing(app, deps, {
    url: '/v1/api-keys/rotate',
    summary: 'Rotate a key: a new token with the same holder, scopes and limits; the old key is revoked',
    description: 'The token is in this answer only; the new key names the old one in replacesId.',
    body: apiKeyIdSchema,
    status: 200,
    run: (trx, body, principal) => rotateApiKey(trx, managerOf(principal), body.apiKeyId),
  });
}
