import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Logger } from './logger';

/** Per-user cache outside the clone, so fresh clones and CI reuse one build. */
export function temporalCliCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache');
  return path.join(base, 'loyalflow', 'bin');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI, `temporal` on PATH, the per-user cache, else builds it
 * with `go install` into the cache (about two minutes; the binary never enters the repo).
 */
export function provisionTemporalCli(options: {
  explicit: string | undefined;
  version: string;
  log: Logger;
}): string {
  const { explicit, version, log } = options;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const cacheDir = temporalCliCacheDir();
  const cached = path.join(cacheDir, 'temporal');
  if (isExecutable(cached)) return cached;
  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'The Temporal CLI was not found and Go is not installed to build it. Install Go (https://go.dev/dl/) and run again, ' +
        `or put a \`temporal\` binary on PATH, or set TEMPORAL_CLI. Expected cache: ${cached}`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  log.info(
    { version, cacheDir },
    'building the Temporal CLI with go install (about two minutes, once per machine)',
  );
  execFileSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${version}`], {
    env: { ...process.env, GOBIN: cacheDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!isExecutable(cached)) throw new Error(`go install finished but ${cached} is missing`);
  return cached;
}
