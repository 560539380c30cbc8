import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createDb } from '../db/database';
import { loadConfig } from '../platform/config';
import { requireDatabaseUrl } from '../platform/database-url';
import { createLogger } from '../platform/logger';
import { temporalLogger } from '../platform/temporal-logger';
import { createWorker } from './create-worker';
import { MessageSender } from './message-sender';
import { OutboxDispatcher } from './outbox-dispatcher';
import { SegmentRefresher } from './segment-refresher';
import { prepareTemporal } from './temporal-setup';

const config = loadConfig();
const log = createLogger('worker', config.logLevel);
const databaseUrl = requireDatabaseUrl(config.databaseUrl, 'worker');
const { address, namespace, taskQueue } = config.temporal;

Runtime.install({
  logger: temporalLogger(log),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
});

const db = createDb(databaseUrl);
const clientConnection = await Connection.connect({ address });
await prepareTemporal(clientConnection, config.temporal, log);
const client = new Client({ connection: clientConnection, namespace });
const connection = await NativeConnection.connect({ address });
if (!config.secret) throw new Error('worker: LOYALFLOW_SECRET is not set (npm start generates one)');
const { smsSink, mailSink, apiUrl } = config.messaging;
const messaging = {
  secret: config.secret,
  apiUrl,
  defaultChannels: [...(smsSink ? (['sms'] as const) : []), ...(mailSink ? (['email'] as const) : [])],
};
const worker = await createWorker({ connection, namespace, taskQueue, db, log, messaging });
const dispatcher = new OutboxDispatcher({
  db,
  databaseUrl,
  client,
  taskQueue,
  log,
  customerIdleTimeoutMs: config.temporal.workflows.customerEventsIdleMs,
});
await dispatcher.start();
const refresher = new SegmentRefresher({ db, log, pollMs: config.segmentRefresher.pollMs });
refresher.start();
const sender = new MessageSender({
  db,
  databaseUrl,
  log,
  context: messaging,
  defaults: { sms: smsSink, email: mailSink },
});
await sender.start();
log.info(
  { temporalAddress: address, namespace, taskQueue },
  'worker, outbox dispatcher, segment refresher and message sender running',
);

// The SDK's runtime shuts the worker down on SIGINT/SIGTERM; run() resolves once it has drained.
await worker.run();
await sender.stop();
await refresher.stop();
await dispatcher.stop();
await client.connection.close();
await connection.close();
await db.destroy();
log.info('worker stopped');
