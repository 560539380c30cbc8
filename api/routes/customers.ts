import { customerAccount } from '../../db/customers/accounts';
import { resolveCustomer } from '../../db/customers/identifiers';
import { registerCustomer } from '../../db/customers/register-customer';
import { pointsBalance } from '../../db/ledger/points';
import { readAccount } from '../../db/ledger/store';
import { loadProgram, pointsCurrency } from '../../db/programs';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { registerCustomerSchema } from '../../engine/contracts/customer';
import { lookupResultSchema, lookupSchema } from '../../engine/contracts/operations';
import { z } from 'zod';
import { principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

const registeredSchema = z.object({
  customerId: z.number().int(),
  referralCode: z.string(),
  referredBy: z.number().int().nullable(),
  status: z.enum(['active', 'pending']),
});

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
        actor: `api-key:${principal.apiKeyId}`,
        requestId: request.id,
      });
    },
  });

  app.post(
    '/v1/customers/lookup',
    {
      preHandler: requireScope(app, deps.db, 'customers:read'),
      schema: {
        summary: 'Find a customer by any identifier and read the balances',
        description:
          'A POST so that phones and e-mails never appear in URLs or access logs. `at` defaults to now.',
        security: [{ apiKey: [] }],
        body: lookupSchema,
        response: { 200: lookupResultSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const at = request.body.at ? new Date(request.body.at) : new Date();
      return deps.db.transaction().execute(async (trx) => {
        const program = await loadProgram(trx, principal.programId);
        const { customerId } = await resolveCustomer(
          trx,
          program.id,
          request.body.customer,
          program.settings,
        );
        const customer = await trx
          .selectFrom('customers')
          .select(['status', 'referral_code'])
          .where('id', '=', customerId)
          .executeTakeFirstOrThrow();
        const currency = await pointsCurrency(trx, program.id, request.body.currency);
        const points = await pointsBalance(
          trx,
          await customerAccount(trx, customerId, 'points', currency),
          at,
        );
        const cash = await readAccount(trx, await customerAccount(trx, customerId, 'cash', program.currency));
        return {
          customerId,
          status: customer.status,
          referralCode: customer.referral_code,
          points: { currency, ...points },
          cashBalance: cash.balance,
        };
      });
    },
  );
}
