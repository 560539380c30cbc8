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
  register(app, deps, 'GET', route, { params: route.params, querystring: route.querystring }, (request) =>
    route.run(
      { params: request.params as z.infer<P>, query: request.query as z.infer<Q> },
      principalOf(request),
    ),
  );
}

export interface BodyReadRoute<R extends z.ZodType, B extends z.ZodType> {
  url: string;
  scope: ApiScope;
  summary: string;
  description?: string;
  body: B;
  response: R;
  run(body: z.infer<B>, principal: ApiPrincipal): Promise<z.infer<R>>;
}

/**
 * A read that takes a body (a definition to count, an identifier kept out of URLs and logs): a POST
 * that writes nothing, so it needs no Idempotency-Key; the body is zod-validated like a mutation's.
 */
export function readByBody<R extends z.ZodType, B extends z.ZodType>(
  app: ApiApp,
  deps: ApiDependencies,
  route: BodyReadRoute<R, B>,
): void {
  register(app, deps, 'POST', route, { body: route.body }, (request) =>
    route.run(request.body as z.infer<B>, principalOf(request)),
  );
}

function register(
  app: ApiApp,
  deps: ApiDependencies,
  method: 'GET' | 'POST',
  route: {
    url: string;
    scope: ApiScope;
    summary: string;
    description?: string | undefined;
    response: z.ZodType;
  },
  input: { params?: z.ZodType | undefined; querystring?: z.ZodType | undefined; body?: z.ZodType },
  handler: (request: FastifyRequest) => Promise<unknown>,
): void {
  // The generic route is typed through its route interface; Fastify's own inference cannot follow generic schemas.
  (app as unknown as FastifyInstance).route({
    method,
    url: route.url,
    onRequest: requireScope(deps, route.scope),
    schema: {
      summary: route.summary,
      description: route.description,
      security: [{ apiKey: [] }],
      ...(input.params ? { params: input.params } : {}),
      ...(input.querystring ? { querystring: input.querystring } : {}),
      ...(input.body ? { body: input.body } : {}),
      response: { 200: route.response, '4xx': apiErrorSchema },
    },
    handler,
  });
}
