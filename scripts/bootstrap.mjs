// Entry of `npm start`, `npm test` and CI (`.ci/run`) on a fresh clone: plain Node, no dependencies. Installs what is
// missing (npm packages; Chromium for the browser test) and hands over to the TypeScript script.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const command = process.argv[2];
if (!['start', 'test', 'ci'].includes(command)) {
  console.error('usage: node scripts/bootstrap.mjs start|test|ci');
  process.exit(2);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Loyalflow needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  console.log('Installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (command !== 'start' && !existsSync('/usr/bin/chromium')) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log("Installing Debian's chromium for the browser smoke test…");
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } else {
    console.error(
      'The browser test needs /usr/bin/chromium: install it with `sudo apt-get install -y chromium`.',
    );
    process.exit(1);
  }
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join('scripts', `${command}.ts`), ...process.argv.slice(3)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
// Ctrl-C reaches the child too (same process group); it decides how to stop, we wait for it.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
