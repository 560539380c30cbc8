import { Connection } from '@temporalio/client';
import type { ComponentHealth } from '../engine/contracts/health';

/** Asks the Temporal frontend's health service; a fresh short-lived connection each time. */
export async function checkTemporal(address: string, timeoutMs = 2_000): Promise<ComponentHealth> {
  const started = performance.now();
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () => connection!.healthService.check({}));
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      detail: (error as Error).message,
    };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
