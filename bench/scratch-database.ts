import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, type DB } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import { startEmbeddedPostgres } from '../platform/embedded-postgres';
import { freePort } from '../platform/free-port';
import { createLogger } from '../platform/logger';

export interface ScratchDatabase {
  db: DB;
  url: string;
  /** A further empty, migrated database on the same cluster. */
  another(name: string): Promise<{ db: DB; url: string }>;
  stop(): Promise<void>;
}

/** A throw-away embedded PostgreSQL with a migrated database, as the benchmarks' ground. */
export async function scratchDatabase(): Promise<ScratchDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loyalflow-bench-'));
  chmodSync(dir, 0o755);
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, 'postgres'),
    port: await freePort(),
    log: createLogger('bench', 'warn'),
    ephemeral: true,
  });
  const open: DB[] = [];
  const make = async (name: string) => {
    await cluster.ensureDatabase(name);
    const url = cluster.url(name);
    const db = createDb(url, { max: 40 });
    open.push(db);
    await migrateToLatest(db);
    return { db, url };
  };
  const main = await make('bench');
  return {
    ...main,
    another: make,
    async stop() {
      for (const db of open) await db.destroy();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
