import { sql, type Kysely } from 'kysely';
import type { ApiPrincipal } from '../api-keys';
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

/**
 * Reads the program, the store (the key's own, else the one named: a partner key names one of its
 * stores), its groups, the points currency, the published rule set and the tier ladder in one round
 * trip: the till path reads them on every call.
 */
export async function loadPurchaseSetting(
  db: Kysely<Database>,
  principal: ApiPrincipal,
  storeCode: string | undefined,
): Promise<PurchaseSetting> {
  if (principal.storeId === null && storeCode === undefined) {
    throw new DomainError('store_required', 'this API key has no store: send storeCode', 422, 'storeCode');
  }
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
