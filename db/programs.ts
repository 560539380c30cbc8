import type { Kysely } from 'kysely';
import { programSettings, type ProgramSettings } from '../engine/contracts/program-settings';
import { DomainError } from '../engine/errors';
import type { Database } from './schema';

export interface ProgramInfo {
  id: number;
  currency: string;
  timeZone: string;
  settings: ProgramSettings;
}

export async function loadProgram(db: Kysely<Database>, programId: number): Promise<ProgramInfo> {
  const row = await db
    .selectFrom('programs')
    .select(['id', 'currency', 'time_zone', 'settings'])
    .where('id', '=', programId)
    .executeTakeFirst();
  if (!row) throw new DomainError('program_not_found', `no program ${programId}`, 404);
  return {
    id: row.id,
    currency: row.currency,
    timeZone: row.time_zone,
    settings: programSettings(row.settings),
  };
}

/** The program's points currencies; the first one created is the default. */
export async function pointsCurrency(
  db: Kysely<Database>,
  programId: number,
  code?: string,
): Promise<string> {
  let query = db
    .selectFrom('currencies')
    .select('code')
    .where('program_id', '=', programId)
    .where('kind', '=', 'points')
    .orderBy('id')
    .limit(1);
  if (code) query = query.where('code', '=', code);
  const row = await query.executeTakeFirst();
  if (!row)
    throw new DomainError(
      'unknown_currency',
      code ? `no points currency ${code}` : 'the program has no points currency',
      422,
      'currency',
    );
  return row.code;
}
