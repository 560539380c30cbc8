import { programCustomer } from '../../db/customers/program-customer';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/audit';
import { issueCouponToCustomer } from '../../db/coupons/coupon-issuance';
import {
  couponIssueInputSchema,
  createCouponIssue,
  generateCoupons,
  importCoupons,
  type ImportCouponsRejection,
} from '../../db/coupons/coupon-issues';
import { listCustomerCoupons, lookupCoupon } from '../../db/coupons/coupon-reads';
import type { Database } from '../../db/schema';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { normalizeCode } from '../../engine/coupons/code-pattern';
import {
  couponIssueResultSchema,
  couponLookupParamsSchema,
  couponLookupQuerySchema,
  couponLookupSchema,
  customerCouponSchema,
  customerCouponsQuerySchema,
  generateCouponsResultSchema,
  generateCouponsSchema,
  importCouponsResultSchema,
  importCouponsSchema,
  issueCouponSchema,
  issuedCouponSchema,
} from '../../engine/coupons/coupon-contracts';
import { DomainError } from '../../engine/errors';
import { actorOf, principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';
import { z } from 'zod';

const manage = 'coupons:manage';
const reading = 'coupons:read';
async function issueIdOf(trx: Kysely<Database>, programId: number, issueCode: string): Promise<number> {
  const issue = await trx
    .selectFrom('coupon_issues')
    .select('id')
    .where('program_id', '=', programId)
    .where('code', '=', issueCode)
    .executeTakeFirst();
  if (!issue) {
    throw new DomainError('coupon_issue_not_found', `no coupon issue "${issueCode}"`, 404, 'issueCode');
  }
  return issue.id;
}

/** The refusal of an import, naming the first offending line of `codes`. */
function importError(codes: string[], rejection: ImportCouponsRejection): DomainError {
  const counts = `${rejection.invalid.length} invalid, ${rejection.duplicatesInFile.length} repeated, ${rejection.existing.length} existing`;
  const invalid = rejection.invalid[0];
  if (invalid) {
    return new DomainError(
      'invalid_coupon_codes',
      `codes must be letters and digits (${counts}): "${invalid.value}"`,
      422,
      `codes.${invalid.line}`,
    );
  }
  const normalized = codes.map(normalizeCode);
  const repeated = rejection.duplicatesInFile[0];
  if (repeated !== undefined) {
    return new DomainError(
      'duplicate_coupon_codes',
      `codes repeat within the file (${counts}): ${repeated}`,
      422,
      `codes.${normalized.lastIndexOf(repeated)}`,
    );
  }
  const existing = rejection.existing[0]!;
  return new DomainError(
    'coupon_code_taken',
    `codes the program already has (${counts}): ${rejection.existing.slice(0, 5).join(', ')}`,
    409,
    `codes.${normalized.indexOf(existing)}`,
  );
}

/** Coupon issues (create, generate, import), coupons given to customers, and reading coupons. */
export function registerCouponRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/coupon-issues',
    scope: manage,
    summary: 'Create a coupon issue: code pattern, kind, limits, activation delay, lifetime and texts',
    description:
      'single_use: each code is used once; promo_code: one shared code, limited by maxUsesTotal and ' +
      'maxUsesPerCustomer. The activation delay and lifetime start when a coupon is issued. ' +
      'The code is what pricing rules name in coupon.issueIds.',
    body: couponIssueInputSchema.strict(),
    response: couponIssueResultSchema,
    status: 201,
    async run(trx, body, principal) {
      const issue = await createCouponIssue(trx, { ...body, programId: principal.programId });
      await recordAudit(trx, {
        programId: principal.programId,
        actor: actorOf(principal),
        action: 'coupon_issue.create',
        subject: `coupon_issue:${issue.id}`,
        changes: { code: body.code, kind: body.kind, pattern: issue.pattern },
        occurredAt: new Date(),
      });
      return { id: issue.id, code: body.code, pattern: issue.pattern, maxIssuable: issue.maxIssuable };
    },
  });

  mutation(app, deps, {
    url: '/v1/coupon-issues/generate',
    scope: manage,
    summary: 'Generate new codes of a coupon issue',
    description: 'Unique by construction, written all or none (1 M codes in seconds).',
    body: generateCouponsSchema,
    response: generateCouponsResultSchema,
    async run(trx, body, principal) {
      const issueId = await issueIdOf(trx, principal.programId, body.issueCode);
      const { inserted, startIndex } = await generateCoupons(trx, {
        programId: principal.programId,
        issueId,
        count: body.count,
      });
      await recordAudit(trx, {
        programId: principal.programId,
        actor: actorOf(principal),
        action: 'coupon_issue.generate',
        subject: `coupon_issue:${issueId}`,
        changes: { count: inserted, startIndex },
        occurredAt: new Date(),
      });
      return { inserted, startIndex };
    },
  });

  mutation(app, deps, {
    url: '/v1/coupon-issues/import',
    scope: manage,
    summary: 'Import external codes into a coupon issue',
    description:
      'Codes are normalised (upper case, no spaces or dashes); all or nothing: invalid codes, repeats ' +
      'and codes the program has are refused, naming the first line. Tills learn imported codes from ' +
      'GET /v1/till/config.',
    body: importCouponsSchema,
    response: importCouponsResultSchema,
    bodyLimit: 64 * 1_048_576,
    async run(trx, body, principal) {
      const issueId = await issueIdOf(trx, principal.programId, body.issueCode);
      const result = await importCoupons(trx, { programId: principal.programId, issueId, codes: body.codes });
      if (!result.ok) throw importError(body.codes, result);
      await recordAudit(trx, {
        programId: principal.programId,
        actor: actorOf(principal),
        action: 'coupon_issue.import',
        subject: `coupon_issue:${issueId}`,
        changes: { count: result.inserted },
        occurredAt: new Date(),
      });
      return { inserted: result.inserted };
    },
  });

  mutation(app, deps, {
    url: '/v1/coupons/issue',
    scope: manage,
    summary: 'Give a customer a coupon of a single-use issue',
    description:
      'The customer is found by any identifier. With `code`, that free coupon of the issue is given; ' +
      'without, a new code is generated. Its activation delay and lifetime start at occurredAt.',
    body: issueCouponSchema,
    response: issuedCouponSchema,
    status: 201,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const at = new Date(body.occurredAt);
      const coupon = await issueCouponToCustomer(trx, {
        programId: program.id,
        customerId,
        issueCode: body.issueCode,
        code: body.code,
        at,
      });
      await recordAudit(trx, {
        programId: program.id,
        actor: actorOf(principal),
        action: 'coupon.issue',
        subject: `customer:${customerId}`,
        changes: { issueCode: body.issueCode, code: coupon.code },
        occurredAt: at,
      });
      return {
        ...coupon,
        activatesAt: coupon.activatesAt.toISOString(),
        expiresAt: coupon.expiresAt?.toISOString() ?? null,
      };
    },
  });

  // Generic zod schemas: Fastify's own inference cannot follow them (as in api/read-route.ts).
  (app as unknown as FastifyInstance).post(
    '/v1/coupons/of-customer',
    {
      onRequest: requireScope(deps, reading),
      schema: {
        summary: "A customer's coupons with their texts, for cabinets and apps",
        description:
          'A POST so that phones and e-mails never appear in URLs. Each coupon says whether it is usable ' +
          'at `at` (default now) and, if not, why.',
        security: [{ apiKey: [] }],
        body: customerCouponsQuerySchema,
        response: { 200: z.object({ items: z.array(customerCouponSchema) }), '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = request.body as z.infer<typeof customerCouponsQuerySchema>;
      const { program, customerId } = await programCustomer(deps.db, principal.programId, body.customer);
      const at = body.at ? new Date(body.at) : new Date();
      return { items: await listCustomerCoupons(deps.db, { programId: program.id, customerId, at }) };
    },
  );

  read(app, deps, {
    url: '/v1/coupons/:code',
    scope: reading,
    summary: 'Look up one coupon code: status, issue and validity',
    description: 'The code may be grouped with dashes or typed in lower case. `at` defaults to now.',
    params: couponLookupParamsSchema,
    querystring: couponLookupQuerySchema,
    response: couponLookupSchema,
    run: ({ params, query }, principal) =>
      lookupCoupon(deps.db, {
        programId: principal.programId,
        code: params.code,
        at: query.at ? new Date(query.at) : new Date(),
      }),
  });
}
