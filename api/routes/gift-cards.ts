import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { activateGiftCard } from '../../db/gift-cards/activate';
import { giftCardBalance } from '../../db/gift-cards/balance';
import { guardPin } from '../../db/gift-cards/pin-attempts';
import { blockGiftCard, unblockGiftCard } from '../../db/gift-cards/block';
import { refundGiftCardSpend } from '../../db/gift-cards/refund';
import { spendGiftCard } from '../../db/gift-cards/spend';
import { createGiftCardType, issueGiftCardBatch, listGiftCardTypes } from '../../db/gift-cards/types';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { instantSchema } from '../../engine/contracts/customer-event';
import {
  activateGiftCardSchema,
  activatedGiftCardSchema,
  blockGiftCardSchema,
  giftCardBatchSchema,
  giftCardNumberSchema,
  giftCardRefundSchema,
  giftCardSchema,
  giftCardSpendSchema,
  giftCardTypeSchema,
  issueGiftCardBatchSchema,
  refundGiftCardSchema,
  spendGiftCardSchema,
  unblockGiftCardSchema,
} from '../../engine/gift-cards/contracts';
import { giftCardTypeInputSchema } from '../../engine/gift-cards/gift-card-type';
import { actingAs, actorOf, principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** Back office: types, printed batches, blocking. */
const manage = 'giftcards:manage';
/** Tills and web shops: sell, pay, refund. */
const write = 'giftcards:write';
/** Tills and web shops: the balance. */
const readScope = 'giftcards:read';

const balanceParams = z.object({ number: giftCardNumberSchema }).strict();
const balanceQuery = z
  .object({ at: instantSchema.optional().describe('business time; now if omitted') })
  .strict();
const balanceHeaders = z.object({
  'x-gift-card-pin': z.string().max(32).optional().describe('the PIN of an e-certificate'),
});

/**
 * The balance: a GET whose PIN travels in a header, never in the URL (URLs end up in logs). Built like
 * `read()`, which takes no headers.
 */
function registerBalanceRoute(app: ApiApp, deps: ApiDependencies): void {
  (app as unknown as FastifyInstance).get(
    '/v1/gift-cards/:number',
    {
      onRequest: requireScope(deps, readScope),
      schema: {
        summary: "A gift card's status and balance",
        description:
          'e-certificates need their PIN in the x-gift-card-pin header; five wrong PINs in a row lock the card for 30 minutes (429 gift_card_pin_locked).',
        security: [{ apiKey: [] }],
        params: balanceParams,
        querystring: balanceQuery,
        headers: balanceHeaders,
        response: { 200: giftCardSchema, '4xx': apiErrorSchema },
      },
    },
    async (request: FastifyRequest) => {
      const { number } = request.params as z.infer<typeof balanceParams>;
      const { at } = request.query as z.infer<typeof balanceQuery>;
      const pin = request.headers['x-gift-card-pin'];
      return giftCardBalance(deps.db, {
        programId: principalOf(request).programId,
        number,
        pin: typeof pin === 'string' ? pin : undefined,
        at: at ? new Date(at) : new Date(),
        now: new Date(),
      });
    },
  );
}

/** Gift cards and e-certificates: sold at the till, spent as a payment, refunded, expired, blocked. */
export function registerGiftCardRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/gift-card-types',
    scope: manage,
    summary: 'Create a gift card type',
    description:
      'Fixed nominals or an open amount within minAmount … maxAmount, in the program currency; valid for validityDays from activation.',
    body: giftCardTypeInputSchema,
    response: giftCardTypeSchema,
    status: 201,
    run: (trx, body, principal) => createGiftCardType(trx, { ...body, ...actingAs(principal) }),
  });

  read(app, deps, {
    url: '/v1/gift-card-types',
    scope: manage,
    summary: "The program's gift card types",
    response: z.object({ items: z.array(giftCardTypeSchema) }),
    run: async (_input, principal) => ({ items: await listGiftCardTypes(deps.db, principal.programId) }),
  });

  mutation(app, deps, {
    url: '/v1/gift-cards/batches',
    scope: manage,
    summary: 'Issue a batch of plastic gift cards to print',
    description: 'The cards are inactive until sold and activated at the till.',
    body: issueGiftCardBatchSchema,
    response: giftCardBatchSchema,
    status: 201,
    run: (trx, body, principal) => issueGiftCardBatch(trx, { ...body, ...actingAs(principal) }),
  });

  mutation(app, deps, {
    url: '/v1/gift-cards/activate',
    scope: write,
    summary: 'Sell and activate a gift card',
    description:
      'A plastic card by its number, or a new e-certificate by typeId (the answer carries its PIN). One activation per saleReference.',
    body: activateGiftCardSchema,
    response: activatedGiftCardSchema,
    run: (trx, body, principal) =>
      activateGiftCard(trx, {
        programId: principal.programId,
        number: body.number,
        typeId: body.typeId,
        amount: body.amount,
        saleReference: body.saleReference,
        at: new Date(body.occurredAt),
        actor: actorOf(principal),
        storeId: principal.storeId,
      }),
  });

  mutation(app, deps, {
    url: '/v1/gift-cards/spend',
    scope: write,
    summary: 'Pay with a gift card',
    description:
      'Never more than the balance (409 gift_card_insufficient). One spend per card and holder: a repeat answers the first. A wrong e-certificate PIN counts towards its lock (see the balance lookup).',
    body: spendGiftCardSchema,
    response: giftCardSpendSchema,
    before: (body, principal, replayed) =>
      guardPin(deps.db, {
        programId: principal.programId,
        number: body.number,
        pin: body.pin,
        now: new Date(),
        field: 'pin',
        replayed,
      }),
    run: (trx, body, principal) =>
      spendGiftCard(trx, {
        programId: principal.programId,
        number: body.number,
        pin: body.pin,
        amount: body.amount,
        holder: body.holder,
        at: new Date(body.occurredAt),
        actor: actorOf(principal),
        details: principal.storeId ? { storeId: principal.storeId } : {},
      }),
  });

  mutation(app, deps, {
    url: '/v1/gift-cards/refund',
    scope: write,
    summary: 'Give back what gift cards paid for a holder',
    description: 'Everything not refunded yet when amount is omitted; one refund per spend and reference.',
    body: refundGiftCardSchema,
    response: giftCardRefundSchema,
    run: (trx, body, principal) =>
      refundGiftCardSpend(trx, {
        programId: principal.programId,
        holder: body.holder,
        number: body.number,
        amount: body.amount,
        reference: body.reference,
        at: new Date(body.occurredAt),
        actor: actorOf(principal),
      }),
  });

  registerBalanceRoute(app, deps);

  mutation(app, deps, {
    url: '/v1/gift-cards/block',
    scope: manage,
    summary: 'Block a gift card',
    body: blockGiftCardSchema,
    response: giftCardSchema,
    run: (trx, body, principal) =>
      blockGiftCard(trx, {
        programId: principal.programId,
        number: body.number,
        reason: body.reason,
        at: new Date(body.occurredAt),
        actor: actorOf(principal),
      }),
  });

  mutation(app, deps, {
    url: '/v1/gift-cards/unblock',
    scope: manage,
    summary: 'Unblock a gift card',
    body: unblockGiftCardSchema,
    response: giftCardSchema,
    run: (trx, body, principal) =>
      unblockGiftCard(trx, {
        programId: principal.programId,
        number: body.number,
        reason: body.reason,
        at: new Date(body.occurredAt),
        actor: actorOf(principal),
      }),
  });
}
