import type { Config } from './config';
import { startEmbeddedPostgres } from './embedded-postgres';
import type { Logger } from './logger';

export interface ProvisionedDatabase {
  url: string;
  /** True when this process started the embedded cluster. */
  embedded: boolean;
  stop(): Promise<void>;
}

export const defaultDatabaseName = 'loyalflow';

/** DATABASE_URL when set; else the embedded cluster under the data directory, with its database created. */
export async function provisionDatabase(config: Config, log: Logger): Promise<ProvisionedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const cluster = await startEmbeddedPostgres({ ...config.embeddedPostgres, log });
  await cluster.ensureDatabase(defaultDatabaseName);
  return { url: cluster.url(defaultDatabaseName), embedded: true, stop: () => cluster.stop() };
}
