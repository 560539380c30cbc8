import 'server-only';
import { createDb, type DB } from '../../db/database';
import { webEnv } from './env';

const holder = globalThis as typeof globalThis & { loyalflowDb?: DB };

/** One pool per server process (kept across hot reloads in development). */
export function db(): DB {
  holder.loyalflowDb ??= createDb(webEnv().DATABASE_URL, { max: 10 });
  return holder.loyalflowDb;
}
