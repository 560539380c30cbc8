import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../db/database';
import { seedDemoProgram, type DemoCredentials } from '../db/demo-program';
import { seedDemoPromotions } from '../db/demo-promotions';
import { seedDemoEventTypes } from '../db/events/demo-event-types';
import { migrateToLatest } from '../db/migrator';
import { randomToken } from '../db/secrets';
import { spawnManaged, type ManagedProcess } from '../platform/child-process';
import { loadConfig, projectRoot } from '../platform/config';
import { spawnNextDev } from '../platform/next-dev-server';
import { provisionDatabase } from '../platform/database-provision';
import { createLogger, logFormat } from '../platform/logger';
import { provisionTemporalCli } from '../platform/temporal-cli';
import { startTemporalDevServer } from '../platform/temporal-dev-server';
import { waitForHttp } from '../platform/wait-for-http';
import { tlsFromEnv } from '../api/tls';
import { startMessageSinks } from './message-sinks';

const startedAt = performance.now();
// The demo program is seeded when asked; `npm start` asks unless LOYALFLOW_DEMO=0.
const config = loadConfig({ LOYALFLOW_DEMO: 'true', ...process.env });
const log = createLogger('start', config.logLevel);
mkdirSync(config.dataDir, { recursive: true });

const stack: Array<{ name: string; stop: () => Promise<void> }> = [];
let stopping = false;
/** Stops every service in reverse start order, once; a second Ctrl-C while stopping is ignored. */
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping the platform');
  for (const item of stack.reverse()) {
    await item
      .stop()
      .catch((error: unknown) => log.warn({ err: error, component: item.name }, 'stop failed'));
    log.info({ component: item.name }, 'stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

/** Secrets the platform keeps between starts, in the data directory (never in the repo). */
function persistentSecret(name: string): string {
  const file = path.join(config.dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomToken(32), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

try {
  const temporalCli = config.temporal.devServer.enabled
    ? provisionTemporalCli({
        explicit: config.temporalCli,
        version: config.temporal.devServer.cliVersion,
        log,
      })
    : undefined;

  const database = await provisionDatabase(config, log);
  stack.push({ name: 'postgres', stop: () => database.stop() });
  const db = createDb(database.url, { max: 2 });
  const applied = await migrateToLatest(db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const credentialsFile = path.join(config.dataDir, 'demo-credentials.json');
  const seeded = config.demo ? await seedDemoProgram(db) : undefined;
  if (seeded) {
    await seedDemoPromotions(db, seeded.programId);
    writeFileSync(credentialsFile, JSON.stringify(seeded, null, 2), { mode: 0o600 });
  }
  const demo: DemoCredentials | undefined =
    config.demo && existsSync(credentialsFile)
      ? (JSON.parse(readFileSync(credentialsFile, 'utf8')) as DemoCredentials)
      : undefined;
  if (demo) await seedDemoEventTypes(db, demo.programId);
  await db.destroy();

  // Without a gateway of one's own, SMS and e-mail go to the local sinks the web app shows.
  const sinkDb = createDb(database.url, { max: 2 });
  const sinks =
    process.env.LOYALFLOW_SMS_SINK || process.env.LOYALFLOW_MAIL_SINK
      ? undefined
      : await startMessageSinks(sinkDb, log, { sms: 0, mail: 0 });
  stack.push({
    name: 'message sinks',
    stop: async () => {
      await sinks?.stop();
      await sinkDb.destroy();
    },
  });

  const { temporal } = config;
  if (temporalCli) {
    const server = await startTemporalDevServer({
      cli: temporalCli,
      port: temporal.devServer.port,
      uiPort: temporal.devServer.uiPort,
      dbFile: temporal.devServer.dbFile,
      namespace: temporal.namespace,
      log,
    });
    stack.push({ name: 'temporal', stop: () => server.stop('SIGTERM') });
  }
  // The worker registers the search attributes and the maintenance schedule itself when it starts.

  // With API_TLS_* the API serves HTTPS; the other processes and this one trust its authority.
  const tls = tlsFromEnv();
  const apiUrl = `${tls ? 'https' : 'http'}://${config.api.host}:${config.api.port}`;
  const webUrl = `http://127.0.0.1:${config.web.port}`;
  const temporalUiUrl = temporalCli ? `http://127.0.0.1:${temporal.devServer.uiPort}` : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    LOYALFLOW_API_URL: apiUrl,
    NEXTAUTH_URL: webUrl,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? persistentSecret('nextauth-secret'),
    LOYALFLOW_SECRET: config.secret ?? persistentSecret('server-secret'),
    LOYALFLOW_WEB_URL: webUrl,
    ...(sinks ? { LOYALFLOW_SMS_SINK: sinks.smsSink, LOYALFLOW_MAIL_SINK: sinks.mailSink } : {}),
    // The services write to pipes that end on this terminal: they log as this process does.
    LOG_FORMAT: logFormat(process.stdout),
    ...(temporalUiUrl ? { TEMPORAL_UI_URL: temporalUiUrl } : {}),
    ...(tls ? { NODE_EXTRA_CA_CERTS: process.env.API_TLS_CA } : {}),
  };
  const node = (name: string, entry: string): ManagedProcess =>
    spawnManaged(name, process.execPath, ['--import', 'tsx', entry], {
      cwd: projectRoot,
      env,
      log,
      echo: true,
    });
  const services: ManagedProcess[] = [
    node('worker', 'worker/main.ts'),
    node('api', 'api/main.ts'),
    spawnNextDev({ port: config.web.port, env, log, echo: true }),
  ];
  for (const service of services) {
    stack.push({ name: service.name, stop: () => service.stop('SIGTERM') });
    void service.exited.then((code) => {
      if (!stopping) void shutdown(`${service.name} exited with code ${code}`, 1);
    });
  }
  await waitForHttp(`${apiUrl}/health`, 60_000, tls ? { ca: tls.ca } : {});
  await waitForHttp(`${webUrl}/api/health`, 180_000);

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const lines = [
    '',
    `Loyalflow is up (${seconds} s). Ctrl-C stops everything.`,
    `  Web app          ${webUrl}`,
    sinks ? `  Sent messages    ${webUrl}/messages   (the local SMS sink and mail catcher)` : '',
    `  Engine API       ${apiUrl}   (health: ${apiUrl}/health, OpenAPI: ${apiUrl}/v1/openapi.json)`,
    temporalUiUrl
      ? `  Temporal UI      ${temporalUiUrl}`
      : `  Temporal         ${temporal.address} (external)`,
    `  PostgreSQL       ${database.url.replace(/:[^:@/]+@/, ':***@')}${database.embedded ? ' (embedded)' : ''}`,
    demo ? `  Admin login      ${demo.adminLogin} / ${demo.adminPassword}` : '',
    demo ? `  Demo till key    ${demo.tillApiKey}` : '',
    demo
      ? `  Back-office key  ${demo.backOfficeApiKey}   (staff id ${demo.adminStaffId} for adjustments)`
      : '',
    demo
      ? `  Try it           curl -X POST ${apiUrl}/v1/events -H 'authorization: Bearer ${demo.tillApiKey}' ` +
        `-H 'idempotency-key: demo-0001' -H 'content-type: application/json' ` +
        `-d '{"anonymousId":"visitor-1","type":"app.opened","occurredAt":"${new Date().toISOString()}"}'`
      : '',
    '',
  ];
  process.stdout.write(
    lines.filter((l, i) => l !== '' || i === 0 || i === lines.length - 1).join('\n') + '\n',
  );
} catch (error) {
  log.error({ err: error }, 'start failed');
  await shutdown('start failed', 1);
}
