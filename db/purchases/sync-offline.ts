import type { z } from 'zod';
import type { ApiPrincipal } from '../api-keys';
import type { ChangeFeed } from '../change-feed';
import type { DB } from '../database';
import {
  confirmPath,
  type PurchaseAnswer,
  type SyncRequest,
  type syncAnswerSchema,
} from '../../engine/contracts/purchases';
import { DomainError } from '../../engine/errors';
import { guardPaymentPins } from '../gift-cards/pin-attempts';
import { idempotencyScopeOf, isAnswered, runIdempotent } from '../idempotency';
import { confirmPurchase } from './confirm-purchase';

type SyncResult = z.infer<typeof syncAnswerSchema>['results'][number];

/**
 * Confirms checks a till made offline, in the order sent, each in its own transaction under its own
 * Idempotency-Key (the same operation as an online confirm, so a check sent both ways counts once).
 * Each keeps its original time; a coupon another check used already is reported and the purchase
 * stands without it; a check that cannot be confirmed is reported and the others go on.
 */
export async function syncOfflineChecks(
  db: DB,
  input: {
    principal: ApiPrincipal;
    request: SyncRequest;
    secret: string;
    now: Date;
    feed?: ChangeFeed | undefined;
  },
): Promise<{ results: SyncResult[] }> {
  const results: SyncResult[] = [];
  for (const { idempotencyKey, check } of input.request.checks) {
    try {
      // Gift card PINs are guessed before the check's transaction, as online (pin-attempts.ts).
      const scope = idempotencyScopeOf(input.principal);
      await guardPaymentPins(db, {
        programId: input.principal.programId,
        payments: check.payments,
        now: input.now,
        replayed: () => isAnswered(db, scope, idempotencyKey),
      });
      const outcome = await runIdempotent<PurchaseAnswer>(
        db,
        {
          scope,
          key: idempotencyKey,
          // The online confirm's operation, so a check sent both ways is confirmed once.
          operation: `POST ${confirmPath}`,
          body: check,
        },
        async (trx) => ({
          status: 201,
          body: await confirmPurchase(trx, { ...input, request: check, offline: true }),
        }),
      );
      const charged = check.payments.reduce((sum, p) => sum + p.amount, 0);
      results.push({
        externalRef: check.externalRef,
        status: outcome.replayed ? 'replayed' : 'confirmed',
        purchaseId: outcome.body.purchaseId,
        rejectedCoupons: outcome.body.rejectedCoupons,
        difference: check.payments.length > 0 ? charged - outcome.body.result.payable : 0,
        error: null,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results.push({
        externalRef: check.externalRef,
        status: 'rejected',
        purchaseId: null,
        rejectedCoupons: [],
        difference: 0,
        error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
      });
    }
  }
  return { results };
}
