import type { z } from 'zod';
import { idempotencyScopeOf, isAnswered } from '../../db/idempotency';
import { programSettingsOf } from '../../db/program-settings';
import { DomainError } from '../../engine/errors';
import { outsideWindow } from '../../engine/time/business-time-window';
import type { ApiApp, ApiDependencies } from '../types';
import { businessTimePaths, businessTimesAt } from './business-times';
import { inspectValue } from './inspect-value';
import { parseJsonBody } from './json-body';

/**
 * The one input layer every route stands behind, so that hostile input is refused by class, not by
 * endpoint:
 * - JSON bodies: repeated keys, depth, unstorable strings and inexact integers (./json-body.ts);
 * - path parameters and query strings: the same string checks (`%00` in a path);
 * - business times: every one a body schema declares (`businessTimeSchema`) lies within the program's
 *   window around the recording time (settings `businessTimes`), read here from the clock once per
 *   request; a call that will replay its stored answer is let through.
 * Authentication runs before all of it (routes check their key `onRequest`).
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, for routes whose config asks for it (`rawBody: true`). */
    rawBody?: string;
  }
  interface FastifyContextConfig {
    rawBody?: boolean;
  }
}

export function registerInputLayer(app: ApiApp, deps: Pick<ApiDependencies, 'db' | 'feed'>): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // A provider's webhook checks a signature over the bytes it sent (Viber), not over a re-encoding.
    if (request.routeOptions.config.rawBody) request.rawBody = body as string;
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addHook('preValidation', async (request) => {
    inspectValue(request.params, 'params');
    inspectValue(request.query, 'querystring');
  });
  app.addHook('preHandler', async (request) => {
    const schema = request.routeOptions.schema?.body as z.ZodType | undefined;
    if (!request.principal || !schema) return;
    const times = businessTimesAt(request.body, businessTimePaths(schema));
    if (times.length === 0) return;
    const recordedAt = new Date();
    const { businessTimes } = await programSettingsOf(deps.db, request.principal.programId, deps.feed);
    for (const { field, at } of times) {
      const why = outsideWindow(new Date(at), recordedAt, businessTimes);
      if (!why) continue;
      // A call answered already replays its answer, whenever it is retried (an offline check synced
      // on its last day and retried the day after).
      const key = request.headers['idempotency-key'];
      if (typeof key === 'string' && (await isAnswered(deps.db, idempotencyScopeOf(request.principal), key)))
        return;
      throw new DomainError('business_time_out_of_range', `${field} ${why}`, 422, field);
    }
  });
}
