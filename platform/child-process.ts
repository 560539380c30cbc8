import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Logger } from './logger';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, whatever the cause. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Spawns a child in its own process group, forwards its output line by line to the log. */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { log: Logger; echo?: boolean },
): ManagedProcess {
  const { log, echo = false, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') => {
    let buffer = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        if (echo) process.stdout.write(`[${name}] ${line}\n`);
        else log[level === 'warn' ? 'debug' : 'trace']({ process: name, line }, 'child output');
      }
    });
  };
  forward(child.stdout, 'info');
  forward(child.stderr, 'warn');
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      log.error({ process: name, err: error }, 'failed to start child process');
      resolve(null);
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { name, child, exited, stop };
}
