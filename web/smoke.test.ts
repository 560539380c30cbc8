import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoProgram, type DemoCredentials } from '../db/demo-program';
import { spawnManaged, type ManagedProcess } from '../platform/child-process';
import { projectRoot } from '../platform/config';
import { freePort } from '../platform/free-port';
import { createLogger } from '../platform/logger';
import { waitForHttp } from '../platform/wait-for-http';
import { createTestDatabase, type TestDatabase } from '../test/support/database';

/** Flags without which Chromium stalls on this closed network (see README, "Browser tests"). */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let t: TestDatabase;
let demo: DemoCredentials;
let web: ManagedProcess;
let baseUrl: string;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  t = await createTestDatabase();
  demo = (await seedDemoProgram(t.db))!;
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  web = spawnManaged(
    'web',
    process.execPath,
    [
      path.join(projectRoot, 'node_modules/next/dist/bin/next'),
      'dev',
      'web',
      '--port',
      String(port),
      '--hostname',
      '127.0.0.1',
    ],
    {
      cwd: projectRoot,
      log: createLogger('test-web', 'silent'),
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        NEXTAUTH_URL: baseUrl,
        NEXTAUTH_SECRET: 'test-secret-test-secret-test-secret',
        LOYALFLOW_WEB_DIST_DIR: '.next-test',
        NEXT_TELEMETRY_DISABLED: '1',
      },
    },
  );
  await waitForHttp(`${baseUrl}/api/health`, 120_000);
  profile = mkdtempSync(path.join(tmpdir(), 'lf-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await t?.drop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('web app in Chromium', () => {
  it('shows database and Temporal up on the home page', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl, { waitUntil: 'networkidle' });
    await expect.poll(() => page.getByTestId('status-overall').innerText()).toContain('ok');
    expect(await page.getByTestId('status-database').innerText()).toContain('up');
    expect(await page.getByTestId('status-temporal').innerText()).toContain('up');
    await page.screenshot({ path: path.join(projectRoot, '.data', 'smoke-home.png'), fullPage: true });
  });

  it('signs the demo admin in', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/api/auth/signin`);
    await page.fill('input[name="login"]', demo.adminLogin);
    await page.fill('input[name="password"]', demo.adminPassword);
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('button[type="submit"]')]);
    const session = await page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()));
    expect(session).toMatchObject({ user: { name: 'admin' }, role: 'admin', programId: demo.programId });
  });

  it('refuses a wrong password', async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${baseUrl}/api/auth/signin`);
    await page.fill('input[name="login"]', demo.adminLogin);
    await page.fill('input[name="password"]', 'wrong-password');
    await page.click('button[type="submit"]');
    await page.waitForURL(/error=CredentialsSignin/);
    const session = await page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()));
    expect(session).toEqual({});
  });
});
