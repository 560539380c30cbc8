import { tillConfig } from '../../db/coupons/till-config';
import { tillConfigQuerySchema, tillConfigSchema } from '../../engine/coupons/coupon-contracts';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** What a till downloads to take coupons while offline. */
export function registerTillConfigRoutes(app: ApiApp, deps: ApiDependencies): void {
  read(app, deps, {
    url: '/v1/till/config',
    scope: 'coupons:read',
    summary: "The till key, the coupon issues' rules and the changed coupons since a cursor",
    description:
      'A code of an issue with offlineCheck passes `verifyOfflineCheck(code, pattern, tillKey)` ' +
      '(base64-decoded key) when well-formed; imported codes are only known from `changes`. Pass ' +
      '`changes.next` as `since` for the next page or the next poll: `changes` lists coupons whose ' +
      'validity changed (imported, redeemed, restored), with valid: false for codes no longer usable.',
    querystring: tillConfigQuerySchema,
    response: tillConfigSchema,
    run: ({ query }, principal) =>
      tillConfig(deps.db, { programId: principal.programId, since: query.since, limit: query.limit }),
  });
}
