import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { createDb } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import { loadConfig } from '../platform/config';
import { startEmbeddedPostgres } from '../platform/embedded-postgres';
import { freePort } from '../platform/free-port';
import { createLogger } from '../platform/logger';
import { registerSearchAttributes } from '../platform/search-attributes';
import { provisionTemporalCli } from '../platform/temporal-cli';
import { startTemporalDevServer } from '../platform/temporal-dev-server';
import { workflowsPath } from '../worker/create-worker';
import { templateDatabase } from './support/names';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://…/ without a database name: tests create their own databases from the template. */
    postgresUrl: string;
    temporalAddress: string;
    temporalCli: string;
    workflowBundlePath: string;
  }
}

/**
 * Once per run: a throw-away PostgreSQL with a migrated template database, a Temporal dev server
 * (in memory) with our search attributes, and the workflow bundle every test worker reuses.
 */
export default async function setup(project: TestProject) {
  const config = loadConfig({ ...process.env, DATABASE_URL: undefined });
  const log = createLogger('test-setup', process.env.LOG_LEVEL ?? 'warn');
  const scratch = mkdtempSync(path.join(tmpdir(), 'loyalflow-test-'));
  chmodSync(scratch, 0o755); // as root, PostgreSQL runs as "postgres" and must reach its directory

  const cli = provisionTemporalCli({
    explicit: config.temporalCli,
    version: config.temporal.devServer.cliVersion,
    log,
  });
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const started = await Promise.allSettled([
    startEmbeddedPostgres({ dir: path.join(scratch, 'postgres'), port: pgPort, log, ephemeral: true }),
    startTemporalDevServer({
      cli,
      port: temporalPort,
      uiPort: undefined,
      dbFile: undefined,
      namespace: config.temporal.namespace,
      log,
    }),
    bundleWorkflowCode({
      workflowsPath,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    }),
  ] as const);
  const [pgResult, temporalResult, bundleResult] = started;
  if (
    pgResult.status === 'rejected' ||
    temporalResult.status === 'rejected' ||
    bundleResult.status === 'rejected'
  ) {
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    if (temporalResult.status === 'fulfilled') await temporalResult.value.stop();
    rmSync(scratch, { recursive: true, force: true });
    throw started.find((r) => r.status === 'rejected')?.reason;
  }
  const [cluster, temporal, bundle] = [pgResult.value, temporalResult.value, bundleResult.value];

  const workflowBundlePath = path.join(scratch, 'workflow-bundle.js');
  const address = `127.0.0.1:${temporalPort}`;
  const teardown = async () => {
    await temporal.stop('SIGTERM');
    await cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await cluster.ensureDatabase(templateDatabase);
    const db = createDb(cluster.url(templateDatabase), { max: 1 });
    await migrateToLatest(db);
    await db.destroy();

    const connection = await Connection.connect({ address });
    await registerSearchAttributes(connection, config.temporal.namespace, config.temporal.searchAttributes);
    await connection.close();

    writeFileSync(workflowBundlePath, bundle.code);
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide('postgresUrl', cluster.url('').replace(/\/$/, ''));
  project.provide('temporalAddress', address);
  project.provide('temporalCli', cli);
  project.provide('workflowBundlePath', workflowBundlePath);

  return teardown;
}
