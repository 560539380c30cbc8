import { programSettingsOf } from '../../db/program-settings';
import { DomainError } from '../../engine/errors';
import { businessTimesIn, outsideWindow } from '../../engine/time/business-time-window';
import type { ApiApp, ApiDependencies } from '../types';
import { inspectValue } from './inspect-value';
import { parseJsonBody } from './json-body';

/**
 * The one input layer every route stands behind, so that hostile input is refused by class, not by
 * endpoint:
 * - JSON bodies: repeated keys, depth, unstorable strings and inexact integers (./json-body.ts);
 * - path parameters and query strings: the same string checks (`%00` in a path);
 * - business times: every `occurredAt`/`registeredAt` in a body lies within the program's window
 *   around the recording time (settings `businessTimes`), read here from the clock once per request.
 * Authentication runs before all of it (routes check their key `onRequest`).
 */
export function registerInputLayer(app: ApiApp, deps: Pick<ApiDependencies, 'db' | 'feed'>): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
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
    if (!request.principal || typeof request.body !== 'object' || request.body === null) return;
    const times = businessTimesIn(request.body);
    if (times.length === 0) return;
    const recordedAt = new Date();
    const { businessTimes } = await programSettingsOf(deps.db, request.principal.programId, deps.feed);
    for (const { field, at } of times) {
      const why = outsideWindow(new Date(at), recordedAt, businessTimes);
      if (why) throw new DomainError('business_time_out_of_range', `${field} ${why}`, 422, field);
    }
  });
}
