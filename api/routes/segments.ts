import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveCustomer } from '../../db/customers/identifiers';
import { loadProgram } from '../../db/programs';
import {
  archiveSegment,
  checkDefinition,
  countDefinition,
  createSegment,
  customerSegments,
  getSegment,
  listSegments,
  recomputeSegmentIn,
  sampleDefinition,
  segmentMembers,
  segmentVersions,
  updateSegment,
} from '../../db/segments';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import { code } from '../../engine/contracts/cards';
import { DomainError } from '../../engine/errors';
import { identifierSchema } from '../../engine/contracts/identifier';
import {
  conditionSchema,
  customerSegmentsSchema,
  segmentCheckSchema,
  segmentCountSchema,
  segmentInputSchema,
  segmentMembersPageSchema,
  segmentSampleSchema,
  segmentSchema,
  segmentUpdateSchema,
  segmentVersionSchema,
} from '../../engine/segments';
import { actingAs, principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import { read, readByBody } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const manage = 'segments:manage';
const readScope = 'segments:read';
const byCode = z.object({ code }).strict();
const membershipChangeSchema = z.object({ entered: z.int(), left: z.int(), members: z.int() });

/** Segments: definitions (versioned), live counts, samples, members and reasons (static lists: segment-lists.ts). */
export function registerSegmentRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/segments',
    scope: manage,
    status: 201,
    summary: 'Create a segment',
    description:
      'An AND/OR/NOT tree of typed conditions (see the schema). Checked against the program: an unknown questionnaire field, a test that does not suit its type, an unknown code or a cycle through other segments is a 422 `segment_invalid` naming the path of the condition, e.g. `condition.conditions.1.test.field`. The worker computes its membership in the background once it is stored (and again after every new version), and keeps it up to date as customers change; `POST /v1/segments/recompute` does it at once.',
    body: segmentInputSchema,
    response: segmentSchema,
    run: (trx, definition, principal) =>
      createSegment(trx, { ...actingAs(principal), at: new Date(), definition }),
  });

  mutation(app, deps, {
    url: '/v1/segments/versions',
    scope: manage,
    summary: "Store a new version of a segment's definition",
    description:
      'Every version is kept (`GET /v1/segments/{code}/versions`); the new one applies from the next evaluation.',
    body: segmentUpdateSchema.extend({ code }).strict(),
    response: segmentSchema,
    run: (trx, { code: segmentCode, ...definition }, principal) =>
      updateSegment(trx, { ...actingAs(principal), at: new Date(), code: segmentCode, definition }),
  });

  mutation(app, deps, {
    url: '/v1/segments/archive',
    scope: manage,
    summary: 'Archive a segment',
    description:
      'Its members leave it (each a `segment.left` event) and it is no longer evaluated. 409 `segment_in_use` while another segment refers to it.',
    body: byCode,
    response: segmentSchema,
    run: (trx, body, principal) =>
      archiveSegment(trx, { ...actingAs(principal), at: new Date(), code: body.code }),
  });

  mutation(app, deps, {
    url: '/v1/segments/recompute',
    scope: manage,
    summary: "Recompute a segment's membership now",
    description:
      "Over all the program's customers, as the scheduled recompute does: who the definition holds enters (`segment.entered`), who it no longer holds leaves (`segment.left`).",
    body: byCode,
    response: membershipChangeSchema,
    run: async (trx, body, principal) => {
      const segment = await trx
        .selectFrom('segments')
        .select('id')
        .where('program_id', '=', principal.programId)
        .where('code', '=', body.code)
        .where('archived_at', 'is', null)
        .executeTakeFirst();
      if (!segment)
        throw new DomainError('segment_not_found', `no active segment "${body.code}"`, 404, 'code');
      return recomputeSegmentIn(trx, {
        programId: principal.programId,
        segmentId: segment.id,
        now: new Date(),
      });
    },
  });

  readByBody(app, deps, {
    url: '/v1/segments/check',
    scope: readScope,
    summary: 'Check a definition and count it live',
    description:
      'For the segment editor: every issue of the definition against the program (the path of each), and when it is valid the number of customers it holds now with how long the count took. Nothing is written.',
    body: z.object({ code: code.default('draft'), condition: conditionSchema }).strict(),
    response: segmentCheckSchema,
    async run(body, { programId }) {
      const issues = await checkDefinition(deps.db, programId, body.code, body.condition);
      if (issues.length) return { valid: false, issues };
      const { count, countMs } = await countDefinition(deps.db, {
        programId,
        condition: body.condition,
        now: new Date(),
      });
      return { valid: true, issues, count, countMs };
    },
  });

  readByBody(app, deps, {
    url: '/v1/segments/sample',
    scope: readScope,
    summary: 'A sample of the customers a definition holds',
    description: 'Up to `size` customers, spread over the program. Nothing is written.',
    body: z.object({ condition: conditionSchema, size: z.int().min(1).max(100).default(20) }).strict(),
    response: segmentSampleSchema,
    async run(body, { programId }) {
      const issues = await checkDefinition(deps.db, programId, 'draft', body.condition);
      if (issues[0]) throw new DomainError('segment_invalid', issues[0].message, 422, issues[0].field);
      return {
        customers: await sampleDefinition(deps.db, {
          programId,
          condition: body.condition,
          now: new Date(),
          size: body.size,
        }),
      };
    },
  });

  readByBody(app, deps, {
    url: '/v1/customers/segments',
    scope: 'customers:read',
    summary: "A customer's segments, and why they are or are not in each",
    description:
      "Every active segment with whether its definition holds for the customer now, whether the materialised membership holds them (and since when), and each condition's outcome: the contact centre's answer to \"why didn't I get the offer?\".",
    body: z.object({ customer: identifierSchema }).strict(),
    response: customerSegmentsSchema,
    async run(body, principal) {
      const program = await loadProgram(deps.db, principal.programId);
      const { customerId } = await resolveCustomer(
        deps.db,
        program.id,
        body.customer,
        program.settings,
        'customer',
        {
          allowInactiveCard: true,
        },
      );
      return customerSegments(deps.db, { programId: program.id, customerId, now: new Date() });
    },
  });

  read(app, deps, {
    url: '/v1/segments',
    scope: readScope,
    summary: "The program's segments",
    querystring: z.object({ archived: z.enum(['true', 'false']).default('false') }).strict(),
    response: z.object({ segments: z.array(segmentSchema) }),
    run: async ({ query }, principal) => ({
      segments: await listSegments(deps.db, principal.programId, { archived: query.archived === 'true' }),
    }),
  });

  const codeParams = z.object({ code }).strict();

  read(app, deps, {
    url: '/v1/segments/:code',
    scope: readScope,
    summary: 'A segment',
    params: codeParams,
    response: segmentSchema,
    run: ({ params }, principal) => getSegment(deps.db, principal.programId, params.code),
  });

  read(app, deps, {
    url: '/v1/segments/:code/versions',
    scope: readScope,
    summary: "A segment's versions, newest first",
    params: codeParams,
    response: z.object({ versions: z.array(segmentVersionSchema) }),
    run: async ({ params }, principal) => ({
      versions: await segmentVersions(deps.db, principal.programId, params.code),
    }),
  });

  read(app, deps, {
    url: '/v1/segments/:code/count',
    scope: readScope,
    summary: "The live count of a segment's current definition",
    params: codeParams,
    response: segmentCountSchema,
    run: async ({ params }, principal) => {
      const segment = await getSegment(deps.db, principal.programId, params.code);
      return countDefinition(deps.db, {
        programId: principal.programId,
        condition: segment.condition,
        now: new Date(),
      });
    },
  });

  read(app, deps, {
    url: '/v1/segments/:code/members',
    scope: readScope,
    summary: "A page of a segment's members (materialised), in customer id order",
    params: codeParams,
    querystring: z
      .object({
        after: z.coerce.number().int().min(0).optional(),
        limit: z.coerce.number().int().min(1).max(1_000).default(100),
      })
      .strict(),
    response: segmentMembersPageSchema,
    run: ({ params, query }, principal) =>
      segmentMembers(deps.db, {
        programId: principal.programId,
        code: params.code,
        after: query.after,
        limit: query.limit,
      }),
  });

  (app as unknown as FastifyInstance).get(
    '/v1/segments/:code/members.csv',
    {
      onRequest: requireScope(deps, readScope),
      schema: {
        summary: "A segment's members as CSV, streamed",
        description: 'customer_id,entered_at,display_name; the whole membership, read page by page.',
        security: [{ apiKey: [] }],
        params: codeParams,
        produces: ['text/csv'],
        response: { 200: z.string(), '4xx': apiErrorSchema },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { programId } = principalOf(request);
      const { code: segmentCode } = request.params as { code: string };
      await getSegment(deps.db, programId, segmentCode);
      // A name a spreadsheet would read as a formula (= + - @) is written as text.
      const cell = (v: string | null) => {
        if (v === null) return '';
        const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
        return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
      };
      async function* lines() {
        yield 'customer_id,entered_at,display_name\n';
        let after: number | undefined;
        for (;;) {
          const page = await segmentMembers(deps.db, { programId, code: segmentCode, after, limit: 1_000 });
          yield page.members.map((m) => `${m.customerId},${m.enteredAt},${cell(m.displayName)}\n`).join('');
          if (page.next === null) return;
          after = page.next;
        }
      }
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="segment-${segmentCode}.csv"`)
        .send(Readable.from(lines()));
    },
  );
}
