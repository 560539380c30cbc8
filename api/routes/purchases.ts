import type { FastifyInstance, FastifyRequest } from 'fastify';
import { calculatePurchase } from '../../db/purchases/calculate-purchase';
import { cancelPurchase } from '../../db/purchases/cancel-purchase';
import { confirmPurchase } from '../../db/purchases/confirm-purchase';
import { returnPurchase } from '../../db/purchases/return-purchase';
import { syncOfflineChecks } from '../../db/purchases/sync-offline';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import {
  calculateRequestSchema,
  cancelAnswerSchema,
  cancelRequestSchema,
  confirmPath,
  confirmRequestSchema,
  purchaseAnswerSchema,
  returnAnswerSchema,
  returnRequestSchema,
  syncAnswerSchema,
  syncRequestSchema,
  type CalculateRequest,
  type SyncRequest,
} from '../../engine/contracts/purchases';
import { principalOf, requireScope } from '../auth';
import { guardPaymentPins } from '../../db/gift-cards/pin-attempts';
import { mutation } from '../idempotent-route';
import { trustedSerializer } from '../trusted-serializer';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'purchases:write';

/** The till's purchase flow: calculate (a dry run), confirm, cancel, and item-level returns. */
export function registerPurchaseRoutes(app: ApiApp, deps: ApiDependencies): void {
  // A dry run writes nothing, so it needs no Idempotency-Key.
  (app as unknown as FastifyInstance).post(
    '/v1/purchases/calculate',
    {
      onRequest: requireScope(deps, scope),
      serializerCompiler: trustedSerializer(deps.checkResponses ?? false),
      schema: {
        summary: 'Calculate a check',
        description:
          'Discounts per line and unit, points to earn, the most that may be paid with points, coupons, receipt messages and why each candidate promotion did or did not apply. Nothing is written.',
        security: [{ apiKey: [] }],
        body: calculateRequestSchema,
        response: { 200: purchaseAnswerSchema, '4xx': apiErrorSchema },
      },
    },
    async (request: FastifyRequest) =>
      calculatePurchase(deps.db, {
        principal: principalOf(request),
        request: request.body as CalculateRequest,
        feed: deps.feed,
      }),
  );

  mutation(app, deps, {
    url: confirmPath,
    scope,
    summary: 'Confirm a purchase',
    description:
      'Evaluates the check again under the budgets’ locks (409 budget_exhausted when another till used one up), records the purchase with its per-unit breakdown, spends and earns points, counts promotion usage and reviews the tier, in one transaction. One purchase per store and externalRef (409 purchase_exists). A presented coupon the check cannot use refuses the confirm, `field` naming it (`coupons.<i>`): 409 coupon_already_used when another check redeemed or holds it (the losing till of a race for it), 409 coupon_limit_reached, else 422 with the refusal’s own code (coupon_unknown, coupon_not_active_yet, coupon_expired, coupon_customer_mismatch, coupon_customer_required). On `spendPoints`: 422 redemption_over_cap above the cap, 409 insufficient_points above the balance (another till spent the points meanwhile).',
    body: confirmRequestSchema,
    response: purchaseAnswerSchema,
    status: 201,
    trustedResponse: true,
    before: (body, principal, replayed) =>
      guardPaymentPins(deps.db, {
        programId: principal.programId,
        payments: body.payments,
        now: new Date(),
        replayed,
      }),
    run: (trx, body, principal) =>
      confirmPurchase(trx, {
        principal,
        request: body,
        secret: deps.secret,
        now: new Date(),
        feed: deps.feed,
      }),
  });

  mutation(app, deps, {
    url: '/v1/purchases/cancel',
    scope,
    summary: 'Cancel a purchase',
    description:
      'Reverses everything not returned yet: points earned are taken back, points spent restored per policy, budgets given back.',
    body: cancelRequestSchema,
    response: cancelAnswerSchema,
    run: (trx, body, principal) => cancelPurchase(trx, { principal, request: body, now: new Date() }),
  });

  mutation(app, deps, {
    url: '/v1/purchases/returns',
    scope,
    summary: 'Return items of a purchase',
    description:
      'Reverses exactly what the returned units got, from the stored breakdown, without evaluating promotions again. Several returns per purchase; one per returnRef.',
    body: returnRequestSchema,
    response: returnAnswerSchema,
    status: 201,
    run: (trx, body, principal) => returnPurchase(trx, { principal, request: body }),
  });

  // Each check carries its own Idempotency-Key; the batch itself needs none.
  (app as unknown as FastifyInstance).post(
    '/v1/purchases/sync',
    {
      onRequest: requireScope(deps, scope),
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: 'Send checks made offline',
        description:
          'Each check is confirmed with its original time under its own Idempotency-Key (shared with an online confirm); coupons another check used already are reported and the purchase stands without them; a refused check is reported and the rest go on.',
        security: [{ apiKey: [] }],
        body: syncRequestSchema,
        response: { 200: syncAnswerSchema, '4xx': apiErrorSchema },
      },
    },
    async (request: FastifyRequest) =>
      syncOfflineChecks(deps.db, {
        principal: principalOf(request),
        request: request.body as SyncRequest,
        secret: deps.secret,
        feed: deps.feed,
        now: new Date(),
      }),
  );
}
