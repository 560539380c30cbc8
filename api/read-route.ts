import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiPrincipal } from '../db/api-keys';
import { apiErrorSchema } from '../engine/contracts/api-error';
import type { ApiScope } from '../engine/contracts/api-keys';
import { principalOf, requireScope } from './auth';
import type { ApiApp, ApiDependencies } from './types';

/** A route without path parameters or query. */
type NoInput = z.ZodObject<Record<string, never>>;

export interface ReadRoute<
  R extends z.ZodType,
  P extends z.ZodType = NoInput,
  Q extends z.ZodType = NoInput,
> {
  url: string;
  scope: ApiScope;
  summary: string;
  description?: string;
  params?: P;
  querystring?: Q;
  response: R;
  run(input: { params: z.infer<P>; query: z.infer<Q> }, principal: ApiPrincipal): Promise<z.infer<R>>;
}

/** A GET: authenticated by scope, its path and query zod-validated (a bad one is a 400 naming it). */
export function read<R extends z.ZodType, P extends z.ZodType = NoInput, Q extends z.ZodType = NoInput>(
  app: ApiApp,
  deps: ApiDependencies,
  route: ReadRoute<R, P, Q>,
): void {
  // The generic route is typed through ReadRoute; Fastify's own inference cannot follow generic schemas.
  (app as unknown as FastifyInstance).get(
    route.url,
    {
      onRequest: requireScope(deps, route.scope),
      schema: {
        summary: route.summary,
        description: route.description,
        security: [{ apiKey: [] }],
        ...(route.params ? { params: route.params } : {}),
        ...(route.querystring ? { querystring: route.querystring } : {}),
        response: { 200: route.response, '4xx': apiErrorSchema },
      },
    },
    async (request: FastifyRequest) =>
      route.run(
        { params: request.params as z.infer<P>, query: request.query as z.infer<Q> },
        principalOf(request),
      ),
  );
}
