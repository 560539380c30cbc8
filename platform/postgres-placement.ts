import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/**
 * As root, PostgreSQL runs as the `postgres` user, who may not traverse the checkout (root's home is
 * mode 700). Then its binaries are copied, and its data kept, under `base` (by default
 * /var/lib/loyalflow), keyed by the paths they stand for. The data directory in the checkout becomes
 * a symlink to its place there, so deleting `.data/` still gives a fresh cluster.
 */
export const postgresBase = '/var/lib/loyalflow';

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Whether the `postgres` user can traverse to `target` (always true when not running as root). */
export function reachable(runAs: RunAs, target: string): boolean {
  if (runAs.uid === undefined) return true;
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', target]).status === 0;
}

const key = (of: string) => createHash('sha256').update(of).digest('hex').slice(0, 16);

function ensurePublicDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

/**
 * The binaries' directory (holding bin/, lib/, share/) where `postgres` can run it: in place when it
 * can reach it, else a copy under `base`, made once per source path and package version.
 */
export function reachableBinaries(
  runAs: RunAs,
  nativeDir: string,
  version: string,
  log: Logger,
  base = postgresBase,
): string {
  if (reachable(runAs, path.join(nativeDir, 'bin'))) return nativeDir;
  ensurePublicDir(base);
  const target = path.join(base, `bin-${version}-${key(nativeDir)}`);
  if (!existsSync(target)) {
    log.info(
      { from: nativeDir, to: target },
      'copying the PostgreSQL binaries where the "postgres" user can run them',
    );
    const partial = `${target}.${process.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    renameSync(partial, target);
  }
  chmodSync(target, 0o755);
  return target;
}

/**
 * The data directory `postgres` uses for `dir`: `dir` itself when it can reach it; else a directory
 * under `base` that `dir` links to. A missing link means the data directory was deleted: whatever was
 * kept for it under `base` is removed, so the cluster starts fresh.
 */
export function reachableDataDir(runAs: RunAs, dir: string, log: Logger, base = postgresBase): string {
  mkdirSync(path.dirname(dir), { recursive: true });
  const linked = lstatSync(dir, { throwIfNoEntry: false });
  if (linked?.isSymbolicLink()) return readlinkSync(dir);
  if (!linked) mkdirSync(dir);
  if (runAs.uid !== undefined) chownSync(dir, runAs.uid, runAs.gid!);
  if (reachable(runAs, dir)) return dir;
  if (existsSync(path.join(dir, 'PG_VERSION'))) {
    throw new Error(
      `embedded PostgreSQL runs as the "postgres" user when started as root, and that user cannot reach ${dir}, ` +
        'which holds a cluster: move it, delete it for a fresh one, or set DATABASE_URL.',
    );
  }

  ensurePublicDir(base);
  const target = path.join(base, `data-${key(dir)}`);
  log.info({ dir, target }, 'keeping the PostgreSQL data where the "postgres" user can reach it');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { mode: 0o700 });
  chownSync(target, runAs.uid!, runAs.gid!);
  rmSync(dir, { recursive: true, force: true });
  symlinkSync(target, dir);
  return target;
}
