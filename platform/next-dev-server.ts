import path from 'node:path';
import { spawnManaged, type ManagedProcess } from './child-process';
import { projectRoot } from './config';
import type { Logger } from './logger';

/** The web app under `next dev` on 127.0.0.1:`port`, with its settings in `env`. */
export function spawnNextDev(options: {
  port: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  echo?: boolean;
}): ManagedProcess {
  const next = path.join(projectRoot, 'node_modules', 'next', 'dist', 'bin', 'next');
  return spawnManaged(
    'web',
    process.execPath,
    [next, 'dev', 'web', '--port', String(options.port), '--hostname', '127.0.0.1'],
    {
      cwd: projectRoot,
      env: { ...options.env, NEXT_TELEMETRY_DISABLED: '1' },
      log: options.log,
      echo: options.echo ?? false,
    },
  );
}
