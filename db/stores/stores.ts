import type { Kysely } from 'kysely';
import type { Partner, Store } from '../../engine/contracts/management';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Database } from '../schema';

/** Partners (coalition members) and their stores, always within one program. */

interface Actor {
  programId: number;
  actor: string;
}

const partnerColumns = ['id', 'code', 'name', 'created_at'] as const;
const storeColumns = [
  'stores.id',
  'stores.partner_id',
  'stores.code',
  'stores.name',
  'stores.time_zone',
  'stores.created_at',
] as const;

function toPartner(row: { id: number; code: string; name: string; created_at: Date }): Partner {
  return { id: row.id, code: row.code, name: row.name, createdAt: row.created_at.toISOString() };
}

function toStore(row: {
  id: number;
  partner_id: number;
  code: string;
  name: string;
  time_zone: string;
  created_at: Date;
}): Store {
  return {
    id: row.id,
    partnerId: row.partner_id,
    code: row.code,
    name: row.name,
    timeZone: row.time_zone,
    createdAt: row.created_at.toISOString(),
  };
}

export async function createPartner(
  trx: Kysely<Database>,
  input: Actor & { code: string; name: string },
): Promise<Partner> {
  const row = await trx
    .insertInto('partners')
    .values({ program_id: input.programId, code: input.code, name: input.name })
    .onConflict((oc) => oc.columns(['program_id', 'code']).doNothing())
    .returning(partnerColumns)
    .executeTakeFirst();
  if (!row) throw new DomainError('partner_exists', `partner "${input.code}" exists`, 409, 'code');
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'partner.create',
    subject: `partner:${row.id}`,
    changes: { code: input.code, name: input.name },
    occurredAt: new Date(),
  });
  return toPartner(row);
}

export async function updatePartner(
  trx: Kysely<Database>,
  input: Actor & { partnerId: number; name: string },
): Promise<Partner> {
  const before = await trx
    .selectFrom('partners')
    .select('name')
    .where('id', '=', input.partnerId)
    .where('program_id', '=', input.programId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new DomainError('partner_not_found', `no partner ${input.partnerId}`, 404, 'partnerId');
  const row = await trx
    .updateTable('partners')
    .set({ name: input.name })
    .where('id', '=', input.partnerId)
    .returning(partnerColumns)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'partner.update',
    subject: `partner:${row.id}`,
    changes: { name: { from: before.name, to: input.name } },
    occurredAt: new Date(),
  });
  return toPartner(row);
}

export async function listPartners(db: Kysely<Database>, programId: number): Promise<Partner[]> {
  const rows = await db
    .selectFrom('partners')
    .select(partnerColumns)
    .where('program_id', '=', programId)
    .orderBy('id')
    .execute();
  return rows.map(toPartner);
}

export async function createStore(
  trx: Kysely<Database>,
  input: Actor & { partnerId: number; code: string; name: string; timeZone: string },
): Promise<Store> {
  const partner = await trx
    .selectFrom('partners')
    .select('id')
    .where('id', '=', input.partnerId)
    .where('program_id', '=', input.programId)
    .executeTakeFirst();
  if (!partner) throw new DomainError('partner_not_found', `no partner ${input.partnerId}`, 404, 'partnerId');
  const row = await trx
    .insertInto('stores')
    .values({ partner_id: partner.id, code: input.code, name: input.name, time_zone: input.timeZone })
    .onConflict((oc) => oc.columns(['partner_id', 'code']).doNothing())
    .returning(['id', 'partner_id', 'code', 'name', 'time_zone', 'created_at'])
    .executeTakeFirst();
  if (!row) throw new DomainError('store_exists', `the partner has a store "${input.code}"`, 409, 'code');
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'store.create',
    subject: `store:${row.id}`,
    changes: { partnerId: input.partnerId, code: input.code, name: input.name, timeZone: input.timeZone },
    occurredAt: new Date(),
  });
  return toStore(row);
}

export async function updateStore(
  trx: Kysely<Database>,
  input: Actor & { storeId: number; name?: string | undefined; timeZone?: string | undefined },
): Promise<Store> {
  const before = await trx
    .selectFrom('stores')
    .innerJoin('partners', 'partners.id', 'stores.partner_id')
    .select(storeColumns)
    .where('stores.id', '=', input.storeId)
    .where('partners.program_id', '=', input.programId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new DomainError('store_not_found', `no store ${input.storeId}`, 404, 'storeId');
  const row = await trx
    .updateTable('stores')
    .set({ name: input.name ?? before.name, time_zone: input.timeZone ?? before.time_zone })
    .where('id', '=', input.storeId)
    .returning(['id', 'partner_id', 'code', 'name', 'time_zone', 'created_at'])
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'store.update',
    subject: `store:${row.id}`,
    changes: {
      ...(input.name !== undefined ? { name: { from: before.name, to: row.name } } : {}),
      ...(input.timeZone !== undefined ? { timeZone: { from: before.time_zone, to: row.time_zone } } : {}),
    },
    occurredAt: new Date(),
  });
  return toStore(row);
}

export async function listStores(
  db: Kysely<Database>,
  programId: number,
  partnerId?: number,
): Promise<Store[]> {
  let query = db
    .selectFrom('stores')
    .innerJoin('partners', 'partners.id', 'stores.partner_id')
    .select(storeColumns)
    .where('partners.program_id', '=', programId)
    .orderBy('stores.id');
  if (partnerId !== undefined) query = query.where('stores.partner_id', '=', partnerId);
  return (await query.execute()).map(toStore);
}
