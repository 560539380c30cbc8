import { createDb } from '../db/database';
import { loadConfig } from '../platform/config';
import { requireDatabaseUrl } from '../platform/database-url';
import { createLogger } from '../platform/logger';
import { buildApiServer } from './server';
import { tlsFromEnv } from './tls';

const config = loadConfig();
const log = createLogger('api', config.logLevel);
const db = createDb(requireDatabaseUrl(config.databaseUrl, 'api'));
if (!config.secret) throw new Error('api: LOYALFLOW_SECRET is not set (npm start generates one)');
const app = await buildApiServer({
  db,
  log,
  temporalAddress: config.temporal.address,
  secret: config.secret,
  messaging: {
    secret: config.secret,
    apiUrl: config.messaging.apiUrl,
    defaultChannels: [
      ...(config.messaging.smsSink ? (['sms'] as const) : []),
      ...(config.messaging.mailSink ? (['email'] as const) : []),
    ],
  },
  webUrl: config.messaging.webUrl,
  tls: tlsFromEnv(),
});

const shutdown = async (signal: string) => {
  log.info({ signal }, 'engine API stopping');
  await app.close();
  await db.destroy();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ host: config.api.host, port: config.api.port });
