import { programCustomer } from '../../db/customers/program-customer';
import { bindCard, changeCardStatus, replaceCard } from '../../db/cards/card-lifecycle';
import {
  createCardTemplate,
  createCardType,
  issueCardPool,
  issueVirtualCard,
} from '../../db/cards/card-templates';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import {
  bindCardSchema,
  cardPoolResultSchema,
  cardResultSchema,
  cardStatusChangeSchema,
  cardStatusResultSchema,
  cardTemplateResultSchema,
  createCardTemplateSchema,
  createCardTypeSchema,
  idResultSchema,
  issueCardPoolSchema,
  issueVirtualCardSchema,
  replaceCardResultSchema,
  replaceCardSchema,
} from '../../engine/contracts/cards';
import { actorOf, idempotencyKeyOf, principalOf, requireScope } from '../auth';
import { idempotencyHeaders, mutation } from '../idempotent-route';
import { idempotencyScopeOf, runIdempotent } from '../../db/idempotency';
import type { ApiApp, ApiDependencies } from '../types';

/** Card types, number templates, pools, and the life of a card: bind, block, unblock, close, replace. */
export function registerCardRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/card-types',
    scope: 'cards:manage',
    summary: 'Create a card type',
    description:
      'Earning rules and promotions can be conditioned on it; lotPolicy sets lot dates for its points.',
    body: createCardTypeSchema,
    response: idResultSchema,
    status: 201,
    run: async (trx, body, principal) => ({
      id: await createCardType(trx, { ...body, programId: principal.programId }),
    }),
  });

  mutation(app, deps, {
    url: '/v1/card-templates',
    scope: 'cards:manage',
    summary: 'Create a card number template (prefix, length, Luhn)',
    description:
      'Numbers are a keyed permutation of the template; at most 1/1000 of its valid numbers are ever issued.',
    body: createCardTemplateSchema,
    response: cardTemplateResultSchema,
    status: 201,
    run: (trx, body, principal) => createCardTemplate(trx, { ...body, programId: principal.programId }),
  });

  app.post(
    '/v1/card-pools',
    {
      onRequest: requireScope(deps, 'cards:manage'),
      schema: {
        summary: 'Issue a pool of new cards from a template',
        description:
          'Written in one transaction of its own (1 M cards in seconds); the Idempotency-Key guards the pool.',
        security: [{ apiKey: [] }],
        headers: idempotencyHeaders,
        body: issueCardPoolSchema,
        response: { 201: cardPoolResultSchema, '4xx': apiErrorSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // The pool is written in a transaction of its own while the key's transaction waits (the key's row
      // lock keeps a concurrent retry out); a crash between the two commits could leave a pool without its key.
      const result = await runIdempotent(
        deps.db,
        {
          scope: idempotencyScopeOf(principal),
          key: idempotencyKeyOf(request),
          operation: 'POST /v1/card-pools',
          body: request.body,
        },
        async () => ({
          status: 201,
          body: await issueCardPool(deps.db, { ...request.body, programId: principal.programId }),
        }),
      );
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(201).send(result.body);
    },
  );

  mutation(app, deps, {
    url: '/v1/cards/status',
    scope: 'cards:write',
    summary: 'Block, unblock, close or complete a card',
    description:
      'Only the status machine New → Active ↔ Blocked → Closed / Completed is allowed; blocking needs a reason.',
    body: cardStatusChangeSchema,
    response: cardStatusResultSchema,
    run: (trx, body, principal) =>
      changeCardStatus(trx, {
        programId: principal.programId,
        number: body.card,
        to: body.status,
        reason: body.reason ?? null,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
      }),
  });

  mutation(app, deps, {
    url: '/v1/cards/bind',
    scope: 'cards:bind',
    summary: 'Bind a new card from a pool to a customer',
    description:
      'An unknown number and a card bound, blocked or closed already get the same answer, 409 `card_not_available`, so numbers cannot be probed.',
    body: bindCardSchema,
    response: cardResultSchema,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const { cardId } = await bindCard(trx, {
        programId: program.id,
        customerId,
        number: body.card,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
      });
      return { cardId, number: body.card };
    },
  });

  mutation(app, deps, {
    url: '/v1/cards/replace',
    scope: 'cards:write',
    summary: 'Replace a lost card, keeping every balance and all history',
    body: replaceCardSchema,
    response: replaceCardResultSchema,
    run: (trx, body, principal) =>
      replaceCard(trx, {
        programId: principal.programId,
        oldNumber: body.card,
        replacement: body.newCard ? { number: body.newCard } : { virtualTemplateId: body.virtualTemplateId! },
        reason: body.reason,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
      }),
  });

  mutation(app, deps, {
    url: '/v1/cards/virtual',
    scope: 'cards:bind',
    summary: 'Issue a virtual card to a customer',
    body: issueVirtualCardSchema,
    response: cardResultSchema,
    status: 201,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return issueVirtualCard(trx, { programId: program.id, templateId: body.templateId, customerId });
    },
  });
}
