import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerCustomer } from '../db/customers/register-customer';
import { seedDemoProgram, type DemoCredentials } from '../db/demo-program';
import { loadProgram } from '../db/programs';
import { createStaffUser } from '../db/staff-users';
import type { ManagedProcess } from '../platform/child-process';
import { projectRoot } from '../platform/config';
import { freePort } from '../platform/free-port';
import { spawnNextDev } from '../platform/next-dev-server';
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
  web = spawnNextDev({
    port,
    log: createLogger('test-web', 'silent'),
    env: {
      ...process.env,
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      NEXTAUTH_URL: baseUrl,
      NEXTAUTH_SECRET: 'test-secret-test-secret-test-secret',
      LOYALFLOW_WEB_DIST_DIR: '.next-test',
    },
  });
  await waitForHttp(`${baseUrl}/api/health`, 120_000);
  // `next dev` compiles each route on its first request: do that here, not inside a test's timeout.
  for (const route of ['/', '/api/auth/signin', '/activate/warm-up', '/customers'])
    await waitForHttp(`${baseUrl}${route}`, 120_000);
  profile = mkdtempSync(path.join(tmpdir(), 'lf-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
  });
  browser.setDefaultTimeout(60_000);
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

  it('lets a customer the till registered finish the questionnaire from the activation link', async () => {
    const program = await loadProgram(t.db, demo.programId);
    const registered = await t.db.transaction().execute((trx) =>
      registerCustomer(trx, program, {
        channel: 'till',
        registeredAt: new Date().toISOString(),
        phone: '+79161230099',
        profile: {},
        actor: 'test',
      }),
    );
    expect(registered.status).toBe('pending');
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/activate/${registered.activationToken}`);
    expect(await page.textContent('body')).toContain('+7 916 ***-**-99');
    await page.fill('input[name="firstName"]', 'Olga');
    await page.fill('input[name="birthDate"]', '1990-04-12');
    await page.fill('input[name="child0.name"]', 'Masha');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="activation-error"]');
    expect(await page.getAttribute('[data-testid="activation-error"]', 'data-field')).toBe(
      'questionnaire.children.0.birth_date',
    );

    await page.fill('input[name="firstName"]', 'Olga');
    await page.fill('input[name="birthDate"]', '1990-04-12');
    await page.fill('input[name="child0.name"]', 'Masha');
    await page.fill('input[name="child0.birth_date"]', '2015-09-01');
    await page.selectOption('select[name="child0.gender"]', 'f');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="activation-done"]');
    const customer = await t.db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', registered.customerId)
      .executeTakeFirstOrThrow();
    expect(customer.status).toBe('active');
    expect(customer.profile).toMatchObject({ firstName: 'Olga', birthDate: '1990-04-12' });
    expect(customer.questionnaire).toEqual({
      children: [{ name: 'Masha', birth_date: '2015-09-01', gender: 'f' }],
    });

    await page.goto(`${baseUrl}/activate/${registered.activationToken}`);
    await page.waitForSelector('[data-testid="activation-invalid"]');
  });

  it('keeps others out of the customer lookup: nobody signed in, a wrong password, a role without access', async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${baseUrl}/customers`);
    await page.waitForURL(/api\/auth\/signin/);

    await page.fill('input[name="login"]', demo.adminLogin);
    await page.fill('input[name="password"]', 'wrong-password');
    await page.click('button[type="submit"]');
    await page.waitForURL(/error=CredentialsSignin/);
    expect(await page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()))).toEqual({});
    await page.goto(`${baseUrl}/customers`);
    await page.waitForURL(/api\/auth\/signin/);

    await createStaffUser(t.db, {
      programId: demo.programId,
      login: 'marketer',
      password: 'marketer-password',
      role: 'marketer',
    });
    await page.fill('input[name="login"]', 'marketer');
    await page.fill('input[name="password"]', 'marketer-password');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${baseUrl}/?denied=%2Fcustomers`);
    expect(await page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()))).toMatchObject({
      role: 'marketer',
    });
    expect(await page.getByTestId('access-denied').innerText()).toContain('may not open /customers');
    await page.goto(`${baseUrl}/customers?kind=phone&value=%2B79161230099`);
    await page.waitForURL(`${baseUrl}/?denied=%2Fcustomers`);
    expect(await page.locator('[data-testid="customer-card"]').count()).toBe(0);
  });

  it('lets signed-in staff find a customer by a phone written any way', async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${baseUrl}/customers`);
    await page.waitForURL(/api\/auth\/signin/);
    await page.fill('input[name="login"]', demo.adminLogin);
    await page.fill('input[name="password"]', demo.adminPassword);
    await Promise.all([page.waitForURL(`${baseUrl}/customers`), page.click('button[type="submit"]')]);
    await page.selectOption('select[name="kind"]', 'phone');
    await page.fill('input[name="value"]', '8 (916) 123-00-99');
    await page.click('button[type="submit"]');
    const card = await page.waitForSelector('[data-testid="customer-card"]');
    const text = await card.innerText();
    expect(text).toContain('Olga');
    expect(text).toContain('+7 916 ***-**-99');
    expect(text).toContain('customer.activate');
    await page.fill('input[name="value"]', '+79160000000');
    await page.click('button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('no customer');
  });
});
