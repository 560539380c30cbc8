import { z } from 'zod';
import {
  compileRuleSet,
  createRuleSet,
  getRuleSet,
  listRuleSets,
  publishRuleSet,
  unpublishRuleSet,
} from '../../db/promotions/rule-sets';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import {
  createRuleSetSchema,
  publishResultSchema,
  ruleSetSchema,
  ruleSetStatusSchema,
  ruleSetSummarySchema,
  ruleSetValidationSchema,
  ruleSetVersionSchema,
  validateRuleSetSchema,
} from '../../engine/contracts/promotions';
import { actingAs, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'promotions:manage';
const ruleSetBodyLimit = 16 * 1_048_576;

/** Promotions as versioned rule sets: drafts, a dry validation, publish and unpublish. */
export function registerPromotionRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/promotions/rule-sets',
    scope,
    summary: 'Create a draft rule set (the next version)',
    description:
      'The rules are validated and compiled as the engine will use them; a failure is a 422 naming the place, e.g. rules.3.benefit.bps.',
    body: createRuleSetSchema,
    response: ruleSetSummarySchema,
    status: 201,
    bodyLimit: ruleSetBodyLimit,
    run: (trx, body, principal) => createRuleSet(trx, { ...actingAs(principal), ...body }),
  });

  app.post(
    '/v1/promotions/rule-sets/validate',
    {
      onRequest: requireScope(deps, scope),
      bodyLimit: ruleSetBodyLimit,
      schema: {
        summary: 'Validate rules without writing anything',
        security: [{ apiKey: [] }],
        body: validateRuleSetSchema,
        response: { 200: ruleSetValidationSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => ({ valid: true as const, ruleCount: compileRuleSet(request.body.rules).rules.length }),
  );

  mutation(app, deps, {
    url: '/v1/promotions/rule-sets/publish',
    changesCachedReads: true,
    scope,
    summary: 'Publish a rule set: it replaces the published one at once',
    description:
      'The previous published set is archived in the same transaction. An archived set may be published again (rollback).',
    body: ruleSetVersionSchema,
    response: publishResultSchema,
    run: (trx, body, principal) => publishRuleSet(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/promotions/rule-sets/unpublish',
    changesCachedReads: true,
    scope,
    summary: 'Take the published rule set out of use',
    body: ruleSetVersionSchema,
    response: ruleSetSummarySchema,
    run: (trx, body, principal) => unpublishRuleSet(trx, { ...actingAs(principal), ...body }),
  });

  read(app, deps, {
    url: '/v1/promotions/rule-sets',
    scope,
    summary: "The program's rule sets, newest first",
    querystring: z.object({ status: ruleSetStatusSchema.optional() }).strict(),
    response: z.object({ items: z.array(ruleSetSummarySchema) }),
    run: async ({ query }, principal) => ({
      items: await listRuleSets(deps.db, principal.programId, query.status),
    }),
  });

  read(app, deps, {
    url: '/v1/promotions/rule-sets/:version',
    scope,
    summary: 'A rule set with its rules',
    params: z.object({ version: z.coerce.number().int().positive() }),
    response: ruleSetSchema,
    run: ({ params }, principal) => getRuleSet(deps.db, principal.programId, params.version),
  });
}
