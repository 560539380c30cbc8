import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { preparingClient } from './prepared-statements';
import type { Database } from './schema';

export type DB = Kysely<Database>;

// int8 (bigint) and numeric come back as strings by default; ids and amounts here fit in JS safe integers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** The pool behind each handle `createDb` made, for what needs a connection of its own (db/change-feed.ts). */
const pools = new WeakMap<DB, pg.Pool>();

/** The pg pool of a handle made by `createDb`; undefined for any other handle (a transaction's, say). */
export const poolOf = (db: DB): pg.Pool | undefined => pools.get(db);

export function createDb(connectionString: string, options: { max?: number } = {}): DB {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    application_name: 'loyalflow',
    // TCP keepalive finds connections that died without closing (idle timeouts, failovers).
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    // Sessions start afresh hourly: their prepared statements (db/prepared-statements.ts) with them.
    maxLifetimeSeconds: 3600,
  });
  // An idle connection the server closes (restart, failover, a dropped database) is discarded by the
  // pool and reopened on demand; unhandled, its error would end the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: {
        connect: async () => preparingClient(await pool.connect()),
        end: () => pool.end(),
      },
    }),
  });
  pools.set(db, pool);
  return db;
}
