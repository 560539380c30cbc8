import type { Kysely } from 'kysely';
import {
  programSettings,
  programSettingsSchema,
  type ProgramSettings,
} from '../engine/contracts/program-settings';
import { DomainError } from '../engine/errors';
import type { Database } from './schema';
import { recordAudit } from './audit';
import { cachePerFeed, type ChangeFeed } from './change-feed';

const settingsCache = cachePerFeed<ProgramSettings>(['programs'], 1_000);

/**
 * A program's settings; with `feed` (the API process's) from its cache, dropped on any change to
 * the programs table.
 */
export async function programSettingsOf(
  db: Kysely<Database>,
  programId: number,
  feed?: ChangeFeed,
): Promise<ProgramSettings> {
  const read = async () => {
    const row = await db
      .selectFrom('programs')
      .select('settings')
      .where('id', '=', programId)
      .executeTakeFirstOrThrow();
    return programSettings(row.settings);
  };
  return feed ? settingsCache(feed).get(String(programId), read) : read();
}

/**
 * Changes a program's settings: the given top-level keys replace the current ones, the result is
 * validated as a whole (errors name `settings.<key>`), stored, and audited with the old values.
 */
export async function updateProgramSettings(
  trx: Kysely<Database>,
  input: { programId: number; patch: Record<string, unknown>; actor: string; occurredAt: Date },
): Promise<ProgramSettings> {
  const row = await trx
    .selectFrom('programs')
    .select('settings')
    .where('id', '=', input.programId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const parsed = programSettingsSchema.safeParse({ ...row.settings, ...input.patch });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError('invalid_settings', issue.message, 422, ['settings', ...issue.path].join('.'));
  }
  await trx
    .updateTable('programs')
    .set({ settings: JSON.stringify(parsed.data) })
    .where('id', '=', input.programId)
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'program.settings',
    subject: `program:${input.programId}`,
    changes: {
      keys: Object.keys(input.patch),
      before: Object.fromEntries(Object.keys(input.patch).map((k) => [k, row.settings[k] ?? null])),
    },
    occurredAt: input.occurredAt,
  });
  return parsed.data;
}
