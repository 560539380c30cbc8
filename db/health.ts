import { sql } from 'kysely';
import type { ComponentHealth } from '../engine/contracts/health';
import type { DB } from './database';

export async function checkDatabase(db: DB): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    await sql`select 1`.execute(db);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      detail: (error as Error).message,
    };
  }
}
