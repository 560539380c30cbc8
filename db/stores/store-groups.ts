import type { Kysely } from 'kysely';
import type { StoreGroup } from '../../engine/contracts/management';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Database } from '../schema';

/** Named sets of a program's stores (regions, formats) that promotions and reports can address. */

interface Actor {
  programId: number;
  actor: string;
}

/** Refuses store ids outside the program, naming the first (`<field>.3`). */
async function checkStores(
  trx: Kysely<Database>,
  programId: number,
  storeIds: readonly number[],
  field: string,
): Promise<void> {
  if (storeIds.length === 0) return;
  const found = await trx
    .selectFrom('stores')
    .innerJoin('partners', 'partners.id', 'stores.partner_id')
    .select('stores.id')
    .where('partners.program_id', '=', programId)
    .where('stores.id', 'in', [...new Set(storeIds)])
    .execute();
  const known = new Set(found.map((r) => r.id));
  const missing = storeIds.findIndex((id) => !known.has(id));
  if (missing >= 0) {
    throw new DomainError('store_not_found', `no store ${storeIds[missing]}`, 422, `${field}.${missing}`);
  }
}

async function loadGroup(db: Kysely<Database>, programId: number, groupId: number): Promise<StoreGroup> {
  const row = await db
    .selectFrom('store_groups')
    .select(['id', 'code', 'name', 'created_at'])
    .where('id', '=', groupId)
    .where('program_id', '=', programId)
    .executeTakeFirst();
  if (!row) throw new DomainError('store_group_not_found', `no store group ${groupId}`, 404, 'groupId');
  const members = await db
    .selectFrom('store_group_members')
    .select('store_id')
    .where('group_id', '=', groupId)
    .orderBy('store_id')
    .execute();
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    storeIds: members.map((m) => m.store_id),
    createdAt: row.created_at.toISOString(),
  };
}

export async function createStoreGroup(
  trx: Kysely<Database>,
  input: Actor & { code: string; name: string; storeIds: number[] },
): Promise<StoreGroup> {
  await checkStores(trx, input.programId, input.storeIds, 'storeIds');
  const row = await trx
    .insertInto('store_groups')
    .values({ program_id: input.programId, code: input.code, name: input.name })
    .onConflict((oc) => oc.columns(['program_id', 'code']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new DomainError('store_group_exists', `store group "${input.code}" exists`, 409, 'code');
  const storeIds = [...new Set(input.storeIds)];
  if (storeIds.length > 0) {
    await trx
      .insertInto('store_group_members')
      .values(storeIds.map((storeId) => ({ group_id: row.id, store_id: storeId })))
      .execute();
  }
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'store-group.create',
    subject: `store-group:${row.id}`,
    changes: { code: input.code, name: input.name, storeIds },
    occurredAt: new Date(),
  });
  return loadGroup(trx, input.programId, row.id);
}

/** Adds and removes members in one step; adding a member twice or removing a non-member changes nothing. */
export async function changeStoreGroupMembers(
  trx: Kysely<Database>,
  input: Actor & { groupId: number; add: number[]; remove: number[] },
): Promise<StoreGroup> {
  const group = await trx
    .selectFrom('store_groups')
    .select('id')
    .where('id', '=', input.groupId)
    .where('program_id', '=', input.programId)
    .forUpdate()
    .executeTakeFirst();
  if (!group)
    throw new DomainError('store_group_not_found', `no store group ${input.groupId}`, 404, 'groupId');
  const both = input.add.findIndex((id) => input.remove.includes(id));
  if (both >= 0) {
    throw new DomainError('store_added_and_removed', 'a store is both added and removed', 422, `add.${both}`);
  }
  await checkStores(trx, input.programId, input.add, 'add');
  const add = [...new Set(input.add)];
  if (add.length > 0) {
    await trx
      .insertInto('store_group_members')
      .values(add.map((storeId) => ({ group_id: group.id, store_id: storeId })))
      .onConflict((oc) => oc.columns(['group_id', 'store_id']).doNothing())
      .execute();
  }
  if (input.remove.length > 0) {
    await trx
      .deleteFrom('store_group_members')
      .where('group_id', '=', group.id)
      .where('store_id', 'in', input.remove)
      .execute();
  }
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'store-group.members',
    subject: `store-group:${group.id}`,
    changes: { add, remove: input.remove },
    occurredAt: new Date(),
  });
  return loadGroup(trx, input.programId, group.id);
}

export async function listStoreGroups(db: Kysely<Database>, programId: number): Promise<StoreGroup[]> {
  const rows = await db
    .selectFrom('store_groups')
    .leftJoin('store_group_members', 'store_group_members.group_id', 'store_groups.id')
    .select([
      'store_groups.id',
      'store_groups.code',
      'store_groups.name',
      'store_groups.created_at',
      'store_group_members.store_id',
    ])
    .where('store_groups.program_id', '=', programId)
    .orderBy('store_groups.id')
    .orderBy('store_group_members.store_id')
    .execute();
  const groups = new Map<number, StoreGroup>();
  for (const row of rows) {
    let group = groups.get(row.id);
    if (!group) {
      group = {
        id: row.id,
        code: row.code,
        name: row.name,
        storeIds: [],
        createdAt: row.created_at.toISOString(),
      };
      groups.set(row.id, group);
    }
    if (row.store_id !== null) group.storeIds.push(row.store_id);
  }
  return [...groups.values()];
}
