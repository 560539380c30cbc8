import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The project root: every relative path in the configuration is resolved against it. */
export const projectRoot = path.resolve(import.meta.dirname, '..');

const searchAttributeType = z.enum(['Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList']);

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');

export const temporalFileSchema = z
  .object({
    address: hostPort.default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueues: z.object({ main: z.string().min(1) }).strict(),
    devServer: z
      .object({
        enabled: z.boolean().default(true),
        uiPort: z.number().int().min(1).max(65535).default(8233),
        dbFile: z.string().min(1).default('temporal/dev.sqlite'),
        cliVersion: z.string().regex(/^v\d+\.\d+\.\d+$/, 'expected a tag such as v1.5.1'),
      })
      .strict(),
    workflows: z
      .object({
        customerEventsIdleSeconds: z.number().int().min(1).default(604_800),
        maintenanceIntervalSeconds: z.number().int().min(10).default(3600),
        segmentRecomputeIntervalSeconds: z.number().int().min(10).default(86_400),
      })
      .strict()
      .default({
        customerEventsIdleSeconds: 604_800,
        maintenanceIntervalSeconds: 3600,
        segmentRecomputeIntervalSeconds: 86_400,
      }),
    searchAttributes: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), searchAttributeType).default({}),
  })
  .strict();

const port = z.coerce.number().int().min(1).max(65535);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  DATABASE_URL: z.url().optional(),
  LOYALFLOW_DATA_DIR: z.string().min(1).default('.data'),
  LOYALFLOW_PG_PORT: port.default(54329),
  LOYALFLOW_API_HOST: z.string().min(1).default('127.0.0.1'),
  LOYALFLOW_API_PORT: port.default(3100),
  LOYALFLOW_WEB_PORT: port.default(3000),
  LOYALFLOW_CONFIG: z.string().min(1).default('temporal.yaml'),
  LOYALFLOW_TEMPORAL_DEV_SERVER: flag.optional(),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TEMPORAL_CLI: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Read by platform/logger.ts; unset: readable on a terminal, JSON elsewhere. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  /** Server secret for one-time-code hashes and tokens; `npm start` generates one and keeps it in .data/. */
  LOYALFLOW_SECRET: z.string().min(32).optional(),
  /** The engine API's public base URL (tracking, unsubscribe and webhook links); default from host and port. */
  LOYALFLOW_API_URL: z.url().optional(),
  /** The web app's public base URL (activation links); default http://127.0.0.1:<web port>. */
  LOYALFLOW_WEB_URL: z.url().optional(),
  /**
   * A local SMSC (`host:port`) and SMTP server that deliver SMS and e-mail for programs with no provider
   * of their own: `npm start` runs both as the sink its "sent messages" page shows. Unset: no default.
   */
  LOYALFLOW_SMS_SINK: hostPort.optional(),
  LOYALFLOW_MAIL_SINK: hostPort.optional(),
  /** Seed the demo program (partner, stores, admin, keys) once; `npm start` sets it unless told `0`. */
  LOYALFLOW_DEMO: flag.optional(),
  /** How often the worker's segment refresher looks at an empty refresh queue (ms). */
  LOYALFLOW_SEGMENT_REFRESH_POLL_MS: z.coerce.number().int().min(1).max(60_000).default(250),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  devServer: { enabled: boolean; port: number; uiPort: number; dbFile: string; cliVersion: string };
  /** Durations the workflows run with: data, so tests can use seconds. */
  workflows: {
    customerEventsIdleMs: number;
    maintenanceIntervalSeconds: number;
    /** How often the full segment recompute runs (time-relative conditions: birthdays, windows, ages). */
    segmentRecomputeIntervalSeconds: number;
  };
  searchAttributes: Record<string, z.infer<typeof searchAttributeType>>;
}

export interface Config {
  dataDir: string;
  /** Set when PostgreSQL is external; otherwise the embedded cluster below is used. */
  databaseUrl: string | undefined;
  embeddedPostgres: { port: number; dir: string };
  api: { host: string; port: number };
  web: { port: number };
  temporal: TemporalConfig;
  temporalCli: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  secret: string | undefined;
  /** Public addresses and the platform's default channels (the local sinks), for messages. */
  messaging: {
    apiUrl: string;
    webUrl: string;
    smsSink: { host: string; port: number } | undefined;
    mailSink: { host: string; port: number } | undefined;
  };
  demo: boolean;
  /** The worker's incremental segment membership loop. */
  segmentRefresher: { pollMs: number };
}

function hostAndPort(value: string | undefined): { host: string; port: number } | undefined {
  if (!value) return undefined;
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${source} ${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('\n');
}

/** Reads env and temporal.yaml, validates both and names the bad key on failure. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(describe('env', parsedEnv.error));
  const e = parsedEnv.data;

  const file = path.resolve(projectRoot, e.LOYALFLOW_CONFIG);
  if (!existsSync(file)) throw new ConfigError(`env LOYALFLOW_CONFIG: ${file} does not exist`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path.basename(file)}: not valid YAML (${(error as Error).message})`);
  }
  const parsedFile = temporalFileSchema.safeParse(raw ?? {});
  if (!parsedFile.success) throw new ConfigError(describe(path.basename(file), parsedFile.error));
  const t = parsedFile.data;

  const dataDir = path.resolve(projectRoot, e.LOYALFLOW_DATA_DIR);
  const address = e.TEMPORAL_ADDRESS ?? t.address;
  const devServerEnabled = e.LOYALFLOW_TEMPORAL_DEV_SERVER ?? (t.devServer.enabled && !e.TEMPORAL_ADDRESS);
  return {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    embeddedPostgres: { port: e.LOYALFLOW_PG_PORT, dir: path.join(dataDir, 'postgres') },
    api: { host: e.LOYALFLOW_API_HOST, port: e.LOYALFLOW_API_PORT },
    web: { port: e.LOYALFLOW_WEB_PORT },
    temporal: {
      address,
      namespace: e.TEMPORAL_NAMESPACE ?? t.namespace,
      taskQueue: t.taskQueues.main,
      devServer: {
        enabled: devServerEnabled,
        port: Number(address.split(':')[1]),
        uiPort: t.devServer.uiPort,
        dbFile: path.resolve(dataDir, t.devServer.dbFile),
        cliVersion: t.devServer.cliVersion,
      },
      workflows: {
        customerEventsIdleMs: t.workflows.customerEventsIdleSeconds * 1000,
        maintenanceIntervalSeconds: t.workflows.maintenanceIntervalSeconds,
        segmentRecomputeIntervalSeconds: t.workflows.segmentRecomputeIntervalSeconds,
      },
      searchAttributes: t.searchAttributes,
    },
    temporalCli: e.TEMPORAL_CLI,
    logLevel: e.LOG_LEVEL,
    secret: e.LOYALFLOW_SECRET,
    messaging: {
      apiUrl: (e.LOYALFLOW_API_URL ?? `http://${e.LOYALFLOW_API_HOST}:${e.LOYALFLOW_API_PORT}`).replace(
        /\/$/,
        '',
      ),
      webUrl: (e.LOYALFLOW_WEB_URL ?? `http://127.0.0.1:${e.LOYALFLOW_WEB_PORT}`).replace(/\/$/, ''),
      smsSink: hostAndPort(e.LOYALFLOW_SMS_SINK),
      mailSink: hostAndPort(e.LOYALFLOW_MAIL_SINK),
    },
    demo: e.LOYALFLOW_DEMO ?? false,
    segmentRefresher: { pollMs: e.LOYALFLOW_SEGMENT_REFRESH_POLL_MS },
  };
}
