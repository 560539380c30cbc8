import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { spawnManaged, type ManagedProcess } from './child-process';
import type { Logger } from './logger';

export interface DevServerOptions {
  cli: string;
  port: number;
  /** The web UI port, or undefined for a headless server (tests). */
  uiPort: number | undefined;
  /** SQLite file for persistent state, or undefined for an in-memory server. */
  dbFile: string | undefined;
  namespace: string;
  log: Logger;
  /** Dynamic config values (`--dynamic-config-value key=value`), e.g. lower limits for tests. */
  dynamicConfig?: Record<string, number | string | boolean>;
}

/** Waits until the frontend answers a health check, or throws after the timeout. */
export async function waitForTemporal(address: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.healthService.check({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready: ${String(lastError)}`);
}

/** Runs `temporal server start-dev`; resolves once the frontend service is ready. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<ManagedProcess> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
  ];
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  const server = spawnManaged('temporal', options.cli, args, { log: options.log });
  const ready = waitForTemporal(`127.0.0.1:${options.port}`);
  const early = server.exited.then((code) => {
    throw new Error(`temporal server start-dev exited early with code ${code}`);
  });
  await Promise.race([ready, early]);
  early.catch(() => undefined);
  return server;
}
