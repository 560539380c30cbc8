import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig as load } from './config';

const loadConfig = (env: Record<string, string>) => load(env as NodeJS.ProcessEnv);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function yamlFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lf-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'temporal.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('reads temporal.yaml with defaults for everything else', () => {
    const config = loadConfig({});
    expect(config.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'loyalflow-main',
    });
    expect(config.temporal.devServer.enabled).toBe(true);
    expect(config.temporal.searchAttributes.LoyalflowProgramId).toBe('Keyword');
    expect(config.temporal.workflows.customerEventsIdleMs).toBe(7 * 86_400_000);
    expect(config.temporal.workflows.segmentRecomputeIntervalSeconds).toBe(3600);
    expect(config.segmentRefresher.pollMs).toBe(250);
    expect(loadConfig({ LOYALFLOW_SEGMENT_REFRESH_POLL_MS: '50' }).segmentRefresher.pollMs).toBe(50);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedPostgres.port).not.toBe(5432);
  });

  it('lets env override the file; an external Temporal address turns the dev server off', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      LOYALFLOW_API_PORT: '4000',
    });
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.temporal.namespace).toBe('prod');
    expect(config.temporal.devServer.enabled).toBe(false);
    expect(config.api.port).toBe(4000);
  });

  it('seeds the demo program only when LOYALFLOW_DEMO asks for it', () => {
    expect(loadConfig({}).demo).toBe(false);
    expect(loadConfig({ LOYALFLOW_DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ LOYALFLOW_DEMO: 'false' }).demo).toBe(false);
  });

  it('names the bad env key', () => {
    expect(() => loadConfig({ LOYALFLOW_API_PORT: 'eighty' })).toThrow(/env LOYALFLOW_API_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/env DATABASE_URL/);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/env LOG_FORMAT/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'nohost' })).toThrow(
      /env TEMPORAL_ADDRESS: expected host:port/,
    );
  });

  it('names the bad temporal.yaml key', () => {
    const bad = yamlFile(
      'taskQueues: { main: q }\ndevServer: { uiPort: "x", cliVersion: v1.5.1 }\nsearchAttributes: { A: Nope }\n',
    );
    let error: unknown;
    try {
      loadConfig({ LOYALFLOW_CONFIG: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/temporal\.yaml devServer\.uiPort/);
    expect(String(error)).toMatch(/temporal\.yaml searchAttributes\.A/);
  });

  it('rejects unknown keys in temporal.yaml instead of ignoring a typo', () => {
    const typo = yamlFile('taskQueues: { main: q }\ndevServer: { cliVersion: v1.5.1, uiPrt: 1 }\n');
    expect(() => loadConfig({ LOYALFLOW_CONFIG: typo })).toThrow(/devServer: Unrecognized key: "uiPrt"/);
  });
});
