import type { Kysely } from 'kysely';
import {
  duplicateCandidatesFor,
  findDuplicateCandidates,
  type DuplicateGroup,
} from '../../db/customers/duplicates';
import { mergeCustomers } from '../../db/customers/merge-customers';
import type { Database } from '../../db/schema';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import {
  duplicateSearchResultSchema,
  duplicateSearchSchema,
  mergeCustomersResultSchema,
  mergeCustomersSchema,
  type DuplicateSearchResult,
} from '../../engine/contracts/duplicates';
import { maskEmail, maskPhone } from '../../engine/customers/mask';
import { actorOf, principalOf, requireScope } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

type ListedCustomer = DuplicateSearchResult['groups'][number]['customers'][number];

const text = (value: unknown) => (typeof value === 'string' ? value : null);

/** What a reviewer sees of the customers in the groups: names and birth date, contacts masked. */
async function listedCustomers(
  db: Kysely<Database>,
  programId: number,
  ids: number[],
): Promise<Map<number, ListedCustomer>> {
  if (ids.length === 0) return new Map();
  const customers = await db
    .selectFrom('customers')
    .select(['id', 'status', 'profile', 'registered_at'])
    .where('program_id', '=', programId)
    .where('id', 'in', ids)
    .execute();
  const contacts = await db
    .selectFrom('identifiers')
    .select(['customer_id', 'kind', 'value'])
    .where('customer_id', 'in', ids)
    .where('kind', 'in', ['phone', 'email'])
    .orderBy('id')
    .execute();
  const listed = new Map<number, ListedCustomer>();
  for (const c of customers) {
    listed.set(c.id, {
      id: c.id,
      status: c.status,
      firstName: text(c.profile.firstName),
      lastName: text(c.profile.lastName),
      middleName: text(c.profile.middleName),
      birthDate: text(c.profile.birthDate),
      phones: [],
      emails: [],
      registeredAt: c.registered_at.toISOString(),
    });
  }
  for (const i of contacts) {
    const customer = listed.get(i.customer_id);
    if (i.kind === 'phone') customer?.phones.push(maskPhone(i.value));
    else customer?.emails.push(maskEmail(i.value));
  }
  return listed;
}

/** Duplicate candidates for review and the merge of two customers into one. */
export function registerDuplicateRoutes(app: ApiApp, deps: ApiDependencies): void {
  app.post(
    '/v1/customers/duplicates/search',
    {
      onRequest: requireScope(deps, 'customers:read'),
      schema: {
        summary: 'List duplicate customer candidates for review',
        description:
          'Groups of active or pending customers sharing a phone or an e-mail (however written) or a name with birth date. Contacts are masked. With `customerId`: only that customer’s groups.',
        security: [{ apiKey: [] }],
        body: duplicateSearchSchema,
        response: { 200: duplicateSearchResultSchema, '4xx': apiErrorSchema },
      },
    },
    async (request) => {
      const { programId } = principalOf(request);
      const { limit, cursor, customerId } = request.body;
      let groups: DuplicateGroup[];
      let nextCursor: string | null = null;
      if (customerId === undefined) {
        // One more than asked says whether another page follows.
        const page = await findDuplicateCandidates(deps.db, programId, { limit: limit + 1, cursor });
        groups = page.slice(0, limit);
        if (page.length > limit) nextCursor = groups[groups.length - 1]!.id;
      } else {
        const all = await duplicateCandidatesFor(deps.db, programId, customerId);
        const start = cursor === undefined ? 0 : all.findIndex((g) => g.id > cursor);
        groups = start < 0 ? [] : all.slice(start, start + limit);
        if (start >= 0 && all.length > start + limit) nextCursor = groups[groups.length - 1]!.id;
      }
      const customers = await listedCustomers(deps.db, programId, [
        ...new Set(groups.flatMap((g) => g.customerIds)),
      ]);
      return {
        groups: groups.map((g) => ({
          id: g.id,
          kind: g.kind,
          customers: g.customerIds.flatMap((id) => customers.get(id) ?? []),
        })),
        nextCursor,
      };
    },
  );

  mutation(app, deps, {
    url: '/v1/customers/merge',
    scope: 'customers:merge',
    summary: 'Merge a duplicate customer into the survivor',
    description:
      'Moves identifiers, cards, accounts with their lots and debt to the survivor in one transaction; profile fields both customers fill differently need a choice in `fieldChoices` (422 `field_choice_required` names the field). The merged customer keeps its history with status `merged`.',
    body: mergeCustomersSchema,
    response: mergeCustomersResultSchema,
    async run(trx, body, principal, request) {
      return mergeCustomers(trx, {
        programId: principal.programId,
        survivorId: body.survivorId,
        mergedId: body.mergedId,
        fieldChoices: body.fieldChoices,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
        requestId: request.id,
      });
    },
  });
}
