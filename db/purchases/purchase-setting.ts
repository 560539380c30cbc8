import { sql, type Kysely } from 'kysely';
import type { ApiPrincipal } from '../api-keys';
import { cachePerFeed, type ChangeFeed } from '../change-feed';
import { programSettings } from '../../engine/contracts/program-settings';
import { tierLadderSchema, type TierLadder } from '../../engine/contracts/tier-ladder';
import { DomainError } from '../../engine/errors';
import type { ProgramInfo } from '../programs';
import type { Database } from '../schema';

export interface PurchaseStore {
  id: number;
  code: string;
  partnerCode: string;
  timeZone: string;
  groupCodes: string[];
}

/** Where a check happens: the program with its policies, the store, and what the till path reads of them. */
export interface PurchaseSetting {
  program: ProgramInfo;
  store: PurchaseStore;
  /** The program's points currency. */
  pointsCurrency: string;
  /** The published promotion rule set (db/promotions/active-rule-set.ts), or null. */
  activeRuleSetId: number | null;
  ladder: TierLadder | null;
}

/** Settings by (program, partner, store, store code): dropped on any change to what they are read from. */
const settings = cachePerFeed<PurchaseSetting>(
  ['programs', 'partners', 'stores', 'store_groups', 'store_group_members', 'currencies', 'tier_ladders'],
  10_000,
);

/**
 * Reads the program, the store (the key's own, else the one named: a partner key names one of its
 * stores), its groups, the points currency, the published rule set and the tier ladder in one round
 * trip: the till path reads them on every call. With `feed` (the API process's) the setting comes from
 * its cache, dropped before the next call on any change to those tables (a rule set published, a store
 * moved to another group); what is refused (an unknown store) is read again every time.
 */
export async function loadPurchaseSetting(
  db: Kysely<Database>,
  principal: ApiPrincipal,
  storeCode: string | undefined,
  feed?: ChangeFeed,
): Promise<PurchaseSetting> {
  if (principal.storeId === null && storeCode === undefined) {
    throw new DomainError('store_required', 'this API key has no store: send storeCode', 422, 'storeCode');
  }
  const read = () => readPurchaseSetting(db, principal, storeCode);
  if (!feed) return read();
  const key = JSON.stringify([
    principal.programId,
    principal.partnerId,
    principal.storeId,
    storeCode ?? null,
  ]);
  return settings(feed).get(key, read);
}

async function readPurchaseSetting(
  db: Kysely<Database>,
  principal: ApiPrincipal,
  storeCode: string | undefined,
): Promise<PurchaseSetting> {
  let query = db
    .selectFrom('programs as p')
    .innerJoin('partners as pa', 'pa.program_id', 'p.id')
    .innerJoin('stores as s', 's.partner_id', 'pa.id')
    .select([
      'p.id',
      'p.currency',
      'p.time_zone',
      'p.settings',
      'p.active_rule_set_id',
      's.id as storeId',
      's.code as storeCode',
      's.time_zone as storeTimeZone',
      'pa.code as partnerCode',
      sql<string[]>`coalesce((select array_agg(g.code order by g.code) from store_group_members m
        join store_groups g on g.id = m.group_id where m.store_id = s.id), '{}')`.as('groupCodes'),
      sql<string | null>`(select c.code from currencies c where c.program_id = p.id and c.kind = 'points'
        order by c.id limit 1)`.as('pointsCurrency'),
      sql<unknown>`(select t.ladder from tier_ladders t where t.program_id = p.id)`.as('ladder'),
    ])
    .where('p.id', '=', principal.programId);
  query =
    principal.storeId !== null
      ? query.where('s.id', '=', principal.storeId)
      : query.where('s.code', '=', storeCode!);
  if (principal.partnerId !== null) query = query.where('pa.id', '=', principal.partnerId);
  const row = await query.executeTakeFirst();
  if (!row || (storeCode !== undefined && row.storeCode !== storeCode)) {
    throw new DomainError('unknown_store', `no store "${storeCode}" for this API key`, 422, 'storeCode');
  }
  if (row.pointsCurrency === null) {
    throw new DomainError('unknown_currency', 'the program has no points currency', 422, 'currency');
  }
  return {
    program: {
      id: row.id,
      currency: row.currency,
      timeZone: row.time_zone,
      settings: programSettings(row.settings),
    },
    store: {
      id: row.storeId,
      code: row.storeCode,
      partnerCode: row.partnerCode,
      timeZone: row.storeTimeZone,
      groupCodes: row.groupCodes,
    },
    pointsCurrency: row.pointsCurrency,
    activeRuleSetId: row.active_rule_set_id,
    ladder: row.ladder === null ? null : tierLadderSchema.parse(row.ladder),
  };
}
