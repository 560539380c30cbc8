import { programCustomer } from '../../db/customers/program-customer';
import type { Kysely } from 'kysely';
import type { ApiPrincipal } from '../../db/api-keys';
import { customerBalances } from '../../db/customers/balances';
import { resolveCustomer } from '../../db/customers/identifiers';
import { customerAudit, customerHistory } from '../../db/customers/history';
import { registerCustomer } from '../../db/customers/register-customer';
import { resendActivationLink } from '../../db/customers/activation';
import { businessTimeSchema } from '../../engine/contracts/customer-event';
import { identifierSchema } from '../../engine/contracts/identifier';
import { channelSchema } from '../../engine/messaging/contracts';
import { updateCustomerProfile } from '../../db/customers/update-profile';
import { loadProgram, pointsCurrency } from '../../db/programs';
import type { Database } from '../../db/schema';
import type { Identifier } from '../../engine/contracts/identifier';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { registerCustomerSchema, updateProfileSchema } from '../../engine/contracts/customer';
import {
  auditPageSchema,
  auditQuerySchema,
  historyPageSchema,
  historyQuerySchema,
} from '../../engine/contracts/history';
import { DomainError } from '../../engine/errors';
import { lookupResultSchema, lookupSchema } from '../../engine/contracts/operations';
import { z } from 'zod';
import { actorOf, principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

const registeredSchema = z.object({
  customerId: z.number().int(),
  referralCode: z.string(),
  referredBy: z.number().int().nullable(),
  status: z.enum(['active', 'pending']),
  activationToken: z
    .string()
    .nullable()
    .optional()
    .describe(
      'pending customers finish registration at <web>/activate/<token> (sent by SMS); in the first answer only: the stored answer keeps no secret, so a replay answers without it',
    ),
  activationMessage: z
    .object({ messageId: z.number().int(), channel: z.string(), sentTo: z.string() })
    .nullable()
    .optional()
    .describe('the message that carries the activation link to a pending customer; null when no channel can'),
});

/**
 * The customer a read names. A key that may block cards (`cards:write`: the back office, agents) finds
 * a customer by a blocked or closed card too, since agents look up exactly those; any other key (a
 * till) is answered what an operation by that card gets, 409 `card_not_active`, and sees nothing
 * behind the card. History and audit find a customer who left (`includeLeft`).
 */
async function customerForReading(
  db: Kysely<Database>,
  principal: ApiPrincipal,
  customer: Identifier,
  options: { includeLeft?: boolean } = {},
) {
  const program = await loadProgram(db, principal.programId);
  const { customerId } = await resolveCustomer(db, program.id, customer, program.settings, 'customer', {
    allowInactiveCard: principal.scopes.includes('cards:write'),
    ...options,
  });
  return { program, customerId };
}

export function registerCustomerRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/customers',
    scope: 'customers:write',
    summary: 'Register a customer (till, cabinet, operator, paper questionnaire, import)',
    description:
      'Phone and e-mail are normalised and checked against the program uniqueness policy and join limit; an optional card from a pool is bound and activated; a referral code links the referrer.',
    body: registerCustomerSchema,
    response: registeredSchema,
    status: 201,
    async run(trx, body, principal, request) {
      const program = await loadProgram(trx, principal.programId);
      return registerCustomer(trx, program, {
        ...body,
        actor: actorOf(principal),
        requestId: request.id,
        activation: { webUrl: deps.webUrl, messaging: deps.messaging },
      });
    },
  });

  mutation(app, deps, {
    url: '/v1/customers/activation-link',
    scope: 'customers:write',
    summary: 'Send a pending customer a new activation link',
    description:
      'For a customer the till registered with a phone only who lost the first link: a new one-time link goes out on the first of `channels` that can deliver it (SMS, then e-mail, by default; a linked Viber or Telegram chat too). 409 when the customer is active already; 503 `channel_unavailable` when no channel can.',
    body: z
      .object({
        customer: identifierSchema,
        channels: z.array(channelSchema).min(1).max(5).default(['sms', 'email']),
        occurredAt: businessTimeSchema,
      })
      .strict(),
    response: z.object({ messageId: z.int(), channel: channelSchema, sentTo: z.string() }),
    status: 202,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return resendActivationLink(trx, {
        program,
        customerId,
        at: new Date(body.occurredAt),
        delivery: { webUrl: deps.webUrl, messaging: deps.messaging },
        channels: body.channels,
      });
    },
  });

  mutation(app, deps, {
    url: '/v1/customers/profile',
    scope: 'customers:write',
    summary: "Change a customer's profile and questionnaire answers",
    description:
      'Profile keys replace the current ones (null removes one); questionnaire keys are merged and validated against the program questionnaire.',
    body: updateProfileSchema,
    response: z.object({
      profile: z.record(z.string(), z.unknown()),
      questionnaire: z.record(z.string(), z.unknown()),
    }),
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return updateCustomerProfile(trx, program, {
        customerId,
        profile: body.profile,
        questionnaire: body.questionnaire,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
      });
    },
  });

  app.post(
    '/v1/customers/lookup',
    {
      onRequest: requireScope(deps, 'customers:read'),
      schema: {
        summary: 'Find a customer by any identifier and read the balances',
        description:
          'A POST so that phones and e-mails never appear in URLs or access logs. `at` defaults to now. A read: an account not opened yet answers zero. A blocked or closed card: a key with `cards:write` (back office) reads the customer behind it; a till gets 409 `card_not_active`, as its operations would, and nothing about the holder.',
        security: [{ apiKey: [] }],
        body: lookupSchema,
        response: { 200: lookupResultSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const at = request.body.at ? new Date(request.body.at) : new Date();
      const { program, customerId } = await customerForReading(deps.db, principal, request.body.customer);
      const customer = await deps.db
        .selectFrom('customers')
        .select(['status', 'referral_code'])
        .where('id', '=', customerId)
        .executeTakeFirstOrThrow();
      const currency = await pointsCurrency(deps.db, program.id, request.body.currency);
      const balances = await customerBalances(
        deps.db,
        customerId,
        { points: currency, cash: program.currency },
        at,
      );
      return {
        customerId,
        status: customer.status,
        referralCode: customer.referral_code,
        points: { currency, ...balances.points },
        cashBalance: balances.cash,
      };
    },
  );

  app.post(
    '/v1/customers/history',
    {
      onRequest: requireScope(deps, 'customers:read'),
      schema: {
        summary: "A customer's operations, newest first",
        description:
          "One item per journal line (`lineId`), keyset-paginated (`cursor` = the previous page's `nextCursor`, its last `lineId`, so a page boundary inside an entry of two lines loses none); `card` limits it to one card. A customer who left the program is found too; a blocked or closed card is answered as by lookup.",
        security: [{ apiKey: [] }],
        body: historyQuerySchema,
        response: { 200: historyPageSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const { program, customerId } = await customerForReading(
        deps.db,
        principalOf(request),
        request.body.customer,
        { includeLeft: true },
      );
      let cardId: number | undefined;
      if (request.body.card) {
        const card = await deps.db
          .selectFrom('cards')
          .select('id')
          .where('program_id', '=', program.id)
          .where('number', '=', request.body.card)
          .where('customer_id', '=', customerId)
          .executeTakeFirst();
        if (!card) throw new DomainError('card_not_found', "no such card among the customer's", 404, 'card');
        cardId = card.id;
      }
      return customerHistory(deps.db, customerId, { ...request.body, cardId });
    },
  );

  app.post(
    '/v1/customers/audit',
    {
      onRequest: requireScope(deps, 'customers:read'),
      schema: {
        summary: 'Who changed what about a customer, newest first',
        description:
          'A customer who left the program is found too: leaving is part of their record. A blocked or closed card is answered as by lookup.',
        security: [{ apiKey: [] }],
        body: auditQuerySchema,
        response: { 200: auditPageSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const { program, customerId } = await customerForReading(
        deps.db,
        principalOf(request),
        request.body.customer,
        { includeLeft: true },
      );
      return customerAudit(deps.db, program.id, customerId, request.body);
    },
  );
}
