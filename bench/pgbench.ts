import { spawnSync } from 'node:child_process';

/**
 * pgbench's TPC-B figure on the same PostgreSQL, as the yardstick for our transactions: returns TPS per
 * client count, or undefined when pgbench (Debian's postgresql-client) is not installed.
 */
export function pgbenchTps(
  url: string,
  clientCounts: number[],
  seconds: number,
): Map<number, number> | undefined {
  if (spawnSync('pgbench', ['--version']).status !== 0) return undefined;
  const init = spawnSync('pgbench', ['-i', '-q', '-s', '4', url], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
  const result = new Map<number, number>();
  for (const clients of clientCounts) {
    const run = spawnSync(
      'pgbench',
      ['-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), url],
      {
        encoding: 'utf8',
      },
    );
    const tps = /tps = ([\d.]+)/.exec(run.stdout)?.[1];
    if (!tps) throw new Error(`pgbench gave no tps: ${run.stderr}`);
    result.set(clients, Number(tps));
  }
  return result;
}
