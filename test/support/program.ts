import { seedDemoProgram, type DemoCredentials } from '../../db/demo-program';
import type { DB } from '../../db/database';
import type { ProgramSettings } from '../../engine/contracts/program-settings';

/** The demo program (bonus points, RUB, a till key, a back-office key, an admin) with settings of the test's choosing. */
export async function seedTestProgram(
  db: DB,
  settings: Partial<ProgramSettings> = {},
): Promise<DemoCredentials> {
  const demo = (await seedDemoProgram(db))!;
  await db
    .updateTable('programs')
    .set({ settings: JSON.stringify(settings) })
    .where('id', '=', demo.programId)
    .execute();
  return demo;
}
