import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import { AnswerSeal } from '../db/answer-seal';
import type { ApiPrincipal } from '../db/api-keys';
import { idempotencyKeyPattern, idempotencyScopeOf, isAnswered, runIdempotent } from '../db/idempotency';
import type { Database } from '../db/schema';
import { apiErrorSchema } from '../engine/contracts/api-error';
import type { ApiScope } from '../engine/contracts/api-keys';
import { z as zod } from 'zod';
import { idempotencyKeyOf, principalOf, requireScope } from './auth';
import { trustedSerializer } from './trusted-serializer';
import type { ApiApp, ApiDependencies } from './types';

export const idempotencyHeaders = zod.object({
  'idempotency-key': zod
    .string()
    .regex(idempotencyKeyPattern, '8 to 128 characters of letters, digits, "_", ".", ":" or "-"')
    .describe('same key and body → same answer; same key, other body → 409'),
});

export interface MutationRoute<B extends z.ZodType, R extends z.ZodType> {
  /** POST by default; PUT for a resource replaced whole. */
  method?: 'POST' | 'PUT';
  url: string;
  scope: ApiScope;
  summary: string;
  description?: string;
  body: B;
  response: R;
  status?: 200 | 201 | 202;
  /** Bytes the body may have when the route needs more than the server's 1 MB (file uploads). */
  bodyLimit?: number;
  /**
   * The route writes tables the API process caches reads of (keys, program, stores, catalogue: see
   * migration 0013): its answer waits until this process's caches have dropped what it changed, so the
   * caller's next call sees the change. Other routes skip that round trip.
   */
  changesCachedReads?: true;
  /**
   * Runs before the command's transaction, and stays done when the command is refused: the PIN guard
   * counts a gift card guess here (db/gift-cards/pin-attempts.ts).
   */
  before?(body: z.infer<B>, principal: ApiPrincipal, replayed: () => Promise<boolean>): Promise<void>;
  /** The answer is built to the response schema's type: written without zod (api/trusted-serializer.ts). */
  trustedResponse?: true;
  run(
    trx: Transaction<Database>,
    body: z.infer<B>,
    principal: ApiPrincipal,
    request: FastifyRequest,
  ): Promise<z.infer<R>>;
}

/**
 * A mutating POST (or PUT): authenticated by scope, zod-validated, and run once per Idempotency-Key in one
 * transaction with its stored answer (a replay carries `idempotent-replayed: true`).
 */
export function mutation<B extends z.ZodType, R extends z.ZodType>(
  app: ApiApp,
  deps: ApiDependencies,
  route: MutationRoute<B, R>,
): void {
  const status = route.status ?? 200;
  const seal = new AnswerSeal(deps.secret);
  // The generic route is typed through MutationRoute; Fastify's own inference cannot follow generic schemas.
  const method = route.method ?? 'POST';
  (app as unknown as FastifyInstance).route({
    method,
    url: route.url,
    onRequest: requireScope(deps, route.scope),
    ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
    ...(route.trustedResponse ? { serializerCompiler: trustedSerializer(deps.checkResponses ?? false) } : {}),
    schema: {
      summary: route.summary,
      description: route.description,
      security: [{ apiKey: [] }],
      headers: idempotencyHeaders,
      body: route.body,
      response: { [status]: route.response, '4xx': apiErrorSchema },
    },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const principal = principalOf(request);
      const scope = idempotencyScopeOf(principal);
      const key = idempotencyKeyOf(request);
      await route.before?.(request.body as z.infer<B>, principal, () => isAnswered(deps.db, scope, key));
      const result = await runIdempotent(
        deps.db,
        {
          scope,
          key,
          operation: `${method} ${route.url}`,
          body: request.body,
          seal,
        },
        async (trx) => ({
          status,
          body: await route.run(trx, request.body as z.infer<B>, principal, request),
        }),
      );
      if (route.changesCachedReads) await deps.feed?.sync();
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(result.status).send(result.body);
    },
  });
}
