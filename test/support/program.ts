import { seedDemoProgram, type DemoCredentials } from '../../db/demo-program';
import type { DB } from '../../db/database';
import type { ProgramSettings } from '../../engine/contracts/program-settings';

/**
 * Business times tests may send: their fixed dates lie months from today's clock, further than a
 * program's default window (engine/time/business-time-window.ts) allows.
 */
export const testBusinessTimes = { pastDays: 3660, futureMinutes: 527_040 };

/**
 * The demo program (bonus points, RUB, a till key, a back-office key, an admin) with settings of the
 * test's choosing, and a business-time window wide enough for fixed dates unless the test sets one.
 */
export async function seedTestProgram(
  db: DB,
  settings: Partial<ProgramSettings> = {},
): Promise<DemoCredentials> {
  const demo = (await seedDemoProgram(db))!;
  await db
    .updateTable('programs')
    .set({ settings: JSON.stringify({ businessTimes: testBusinessTimes, ...settings }) })
    .where('id', '=', demo.programId)
    .execute();
  return demo;
}
