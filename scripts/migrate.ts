import { createDb } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import { loadConfig } from '../platform/config';
import { provisionDatabase } from '../platform/database-provision';
import { createLogger } from '../platform/logger';

const config = loadConfig();
const log = createLogger('migrate', config.logLevel);
const database = await provisionDatabase(config, log);
const db = createDb(database.url, { max: 1 });
try {
  const applied = await migrateToLatest(db);
  log.info({ applied }, applied.length ? 'migrations applied' : 'schema is up to date');
} finally {
  await db.destroy();
  await database.stop();
}
