import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/config';
import { readTestCounts, summaryLine } from './test-results';

/**
 * The whole suite: lint and format, type check, then vitest (unit, integration against a throw-away
 * PostgreSQL and Temporal dev server, workflow replay, browser smoke test). Ends with one summary line.
 */
const bin = (name: string) => path.join(projectRoot, 'node_modules', '.bin', name);
const resultsFile = path.join(projectRoot, '.data', 'test-results.json');
mkdirSync(path.dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });

const steps: Array<{ name: string; command: string; args: string[] }> = [
  { name: 'lint', command: bin('eslint'), args: ['.'] },
  { name: 'format', command: bin('prettier'), args: ['--check', '.'] },
  { name: 'typecheck', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json'] },
  {
    name: 'vitest',
    command: bin('vitest'),
    args: [
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${resultsFile}`,
      ...process.argv.slice(2),
    ],
  },
];

const timings: string[] = [];
let failedStep: string | undefined;
const suiteStarted = performance.now();
for (const step of steps) {
  const started = performance.now();
  console.log(`\n▶ ${step.name}`);
  const result = spawnSync(step.command, step.args, {
    cwd: projectRoot,
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  timings.push(`${step.name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (result.status !== 0) {
    failedStep = step.name;
    break;
  }
}

const counts = readTestCounts(resultsFile);
if (failedStep && counts.failed === 0) counts.failed = 1;

console.log(`\n${timings.join(' · ')} · total ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`);
if (failedStep) console.log(`failed step: ${failedStep}`);
console.log(summaryLine(counts));
process.exit(failedStep ? 1 : 0);
