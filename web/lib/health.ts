import 'server-only';
import { checkDatabase } from '../../db/health';
import type { Health } from '../../engine/contracts/health';
import { checkTemporal } from '../../platform/temporal-health';
import { db } from './db';
import { webEnv } from './env';

export async function platformHealth(): Promise<Health> {
  const [database, temporal] = await Promise.all([
    checkDatabase(db()),
    checkTemporal(webEnv().TEMPORAL_ADDRESS),
  ]);
  return {
    status: database.ok && temporal.ok ? 'ok' : 'degraded',
    database,
    temporal,
    checkedAt: new Date().toISOString(),
  };
}
