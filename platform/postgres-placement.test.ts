import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { reachable, reachableBinaries, reachableDataDir, type RunAs } from './postgres-placement';

const asRoot = process.getuid?.() === 0;
const log = createLogger('test', 'silent');
const scratch = mkdtempSync(path.join(tmpdir(), 'lf-placement-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function postgresUser(): RunAs {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A checkout like /root's: a directory only root may traverse. */
function privateCheckout(name: string): string {
  const home = path.join(scratch, name);
  mkdirSync(home, { mode: 0o700 });
  chmodSync(home, 0o700);
  return path.join(home, 'checkout');
}

describe.runIf(asRoot && existsSync('/usr/sbin/runuser'))('PostgreSQL placement as root', () => {
  const base = path.join(scratch, 'base');

  it('copies binaries the postgres user cannot reach once, keeping their symlinks', () => {
    const runAs = postgresUser();
    const native = path.join(privateCheckout('bin-home'), 'native');
    mkdirSync(path.join(native, 'bin'), { recursive: true });
    mkdirSync(path.join(native, 'lib'));
    writeFileSync(path.join(native, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(native, 'lib', 'libx.so.1'), '');
    execFileSync('ln', ['-s', 'libx.so.1', path.join(native, 'lib', 'libx.so')]);
    expect(reachable(runAs, path.join(native, 'bin'))).toBe(false);

    const placed = reachableBinaries(runAs, native, '18.0.0', log, base);
    expect(placed.startsWith(base)).toBe(true);
    expect(reachable(runAs, path.join(placed, 'bin', 'postgres'))).toBe(true);
    expect(lstatSync(path.join(placed, 'lib', 'libx.so')).isSymbolicLink()).toBe(true);
    expect(reachableBinaries(runAs, native, '18.0.0', log, base)).toBe(placed);
  });

  it('keeps data the postgres user cannot reach under the base, linked from the checkout', () => {
    const runAs = postgresUser();
    const dir = path.join(privateCheckout('data-home'), '.data', 'postgres');
    const target = reachableDataDir(runAs, dir, log, base);
    expect(target.startsWith(base)).toBe(true);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(lstatSync(target).uid).toBe(runAs.uid);
    expect(reachable(runAs, target)).toBe(true);

    writeFileSync(path.join(target, 'PG_VERSION'), '18\n');
    expect(reachableDataDir(runAs, dir, log, base)).toBe(target);
    expect(existsSync(path.join(target, 'PG_VERSION'))).toBe(true);

    rmSync(path.dirname(dir), { recursive: true });
    expect(reachableDataDir(runAs, dir, log, base)).toBe(target);
    expect(existsSync(path.join(target, 'PG_VERSION'))).toBe(false);
  });

  it('leaves a reachable data directory where it is', () => {
    const dir = path.join(scratch, 'open', 'postgres');
    mkdirSync(path.dirname(dir), { recursive: true });
    chmodSync(path.dirname(dir), 0o755);
    expect(reachableDataDir(postgresUser(), dir, log, base)).toBe(dir);
    expect(lstatSync(dir).isDirectory()).toBe(true);
  });
});
