import { z } from 'zod';
import { changeStoreGroupMembers, createStoreGroup, listStoreGroups } from '../../db/stores/store-groups';
import {
  createPartner,
  createStore,
  listPartners,
  listStores,
  updatePartner,
  updateStore,
} from '../../db/stores/stores';
import {
  createPartnerSchema,
  createStoreGroupSchema,
  createStoreSchema,
  partnerSchema,
  storeGroupMembersSchema,
  storeGroupSchema,
  storeSchema,
  updatePartnerSchema,
  updateStoreSchema,
} from '../../engine/contracts/management';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'program:manage';

/** Partners, their stores (each with its IANA time zone) and store groups. */
export function registerStoreRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/partners',
    changesCachedReads: true,
    scope,
    summary: 'Create a partner',
    body: createPartnerSchema,
    response: partnerSchema,
    status: 201,
    run: (trx, body, principal) => createPartner(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/partners/update',
    changesCachedReads: true,
    scope,
    summary: 'Rename a partner (its code stays: keys and reports refer to it)',
    body: updatePartnerSchema,
    response: partnerSchema,
    run: (trx, body, principal) => updatePartner(trx, { ...actingAs(principal), ...body }),
  });

  read(app, deps, {
    url: '/v1/partners',
    scope,
    summary: "The program's partners",
    response: z.object({ items: z.array(partnerSchema) }),
    run: async (_input, principal) => ({ items: await listPartners(deps.db, principal.programId) }),
  });

  mutation(app, deps, {
    url: '/v1/stores',
    changesCachedReads: true,
    scope,
    summary: 'Create a store of a partner',
    description: 'timeZone is an IANA name; schedules of promotions run in it.',
    body: createStoreSchema,
    response: storeSchema,
    status: 201,
    run: (trx, body, principal) => createStore(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/stores/update',
    changesCachedReads: true,
    scope,
    summary: "Change a store's name or time zone",
    body: updateStoreSchema,
    response: storeSchema,
    run: (trx, body, principal) => updateStore(trx, { ...actingAs(principal), ...body }),
  });

  read(app, deps, {
    url: '/v1/stores',
    scope,
    summary: "The program's stores, optionally of one partner",
    querystring: z.object({ partnerId: z.coerce.number().int().positive().optional() }).strict(),
    response: z.object({ items: z.array(storeSchema) }),
    run: async ({ query }, principal) => ({
      items: await listStores(deps.db, principal.programId, query.partnerId),
    }),
  });

  mutation(app, deps, {
    url: '/v1/store-groups',
    changesCachedReads: true,
    scope,
    summary: 'Create a store group, optionally with its stores',
    body: createStoreGroupSchema,
    response: storeGroupSchema,
    status: 201,
    run: (trx, body, principal) => createStoreGroup(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/store-groups/members',
    changesCachedReads: true,
    scope,
    summary: 'Add stores to a group and remove others, in one step',
    body: storeGroupMembersSchema,
    response: storeGroupSchema,
    run: (trx, body, principal) => changeStoreGroupMembers(trx, { ...actingAs(principal), ...body }),
  });

  read(app, deps, {
    url: '/v1/store-groups',
    scope,
    summary: "The program's store groups with their stores",
    response: z.object({ items: z.array(storeGroupSchema) }),
    run: async (_input, principal) => ({ items: await listStoreGroups(deps.db, principal.programId) }),
  });
}
