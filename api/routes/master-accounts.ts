import { programCustomer } from '../../db/customers/program-customer';
import { z } from 'zod';
import { createMasterAccount, joinMasterAccount } from '../../db/customers/master-accounts';
import { businessTimeSchema } from '../../engine/contracts/customer-event';
import { identifierSchema } from '../../engine/contracts/identifier';
import { actorOf } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

const createSchema = z
  .object({ name: z.string().trim().min(1).max(200), kind: z.enum(['family', 'company']) })
  .strict();

const joinSchema = z
  .object({
    masterAccountId: z.number().int().positive(),
    customer: identifierSchema,
    occurredAt: businessTimeSchema,
  })
  .strict();

const movedSchema = z.object({
  moved: z.array(
    z.object({
      kind: z.string(),
      currency: z.string(),
      balance: z.number().int(),
      lots: z.number().int(),
      debt: z.number().int(),
    }),
  ),
});

/** Master accounts pool several customers' points and cash (a family, a company). */
export function registerMasterAccountRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/master-accounts',
    scope: 'customers:write',
    summary: 'Create a master account (family or company pool)',
    body: createSchema,
    response: z.object({ id: z.number().int() }),
    status: 201,
    run: async (trx, body, principal) => ({
      id: await createMasterAccount(trx, { ...body, programId: principal.programId }),
    }),
  });

  mutation(app, deps, {
    url: '/v1/master-accounts/members',
    scope: 'customers:write',
    summary: 'Add a customer to a master account; their points and cash move into the pool',
    body: joinSchema,
    response: movedSchema,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const { moved } = await joinMasterAccount(trx, {
        programId: program.id,
        customerId,
        masterAccountId: body.masterAccountId,
        occurredAt: new Date(body.occurredAt),
        actor: actorOf(principal),
      });
      return {
        moved: moved.map(({ kind, currency, balance, lots, debt }) => ({
          kind,
          currency,
          balance,
          lots,
          debt,
        })),
      };
    },
  });
}
