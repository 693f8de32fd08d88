/**
 * A person's real browser (Debian's Chromium via playwright-core) signs in to an openid-client web app through
 * Gatehouse's pages. Screenshots of the login and consent pages land in test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startExample, type RunningExample } from '../helpers/examples.js';
import { ADMIN_PASSWORD, createDeployment, freePort, type Deployment } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);

describe.skipIf(!hasChromium)('browser sign-in with an openid-client web app', () => {
  let dep: Deployment;
  let app: RunningExample;
  let origin: string;
  let browser: Browser;
  beforeAll(async () => {
    dep = await createDeployment('sqlite');
    await dep.serve();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const created = JSON.parse(
      (await dep.cli(['clients', 'create', '--name', 'Acme Web', '--redirect-uri', `${origin}/callback`, '--post-logout-redirect-uri', `${origin}/bye`, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile email offline_access', '--json'])).stdout,
    );
    app = await startExample('examples/web-app/app.mjs', { ISSUER: dep.issuer, CLIENT_ID: created.client_id, DEMO_SECRET: created.client_secret, ORIGIN: origin });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync('test-artifacts', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await dep?.cleanup();
  });

  it('logs in, consents, gets tokens, validates the ID token, calls userinfo, refreshes, logs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/login`);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.screenshot({ path: 'test-artifacts/login.png' });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(await page.content()).toContain('Acme Web');
    await page.screenshot({ path: 'test-artifacts/consent.png' });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${origin}/callback**`);
    const result = JSON.parse((await page.textContent('body')) ?? '{}');
    expect(result).toMatchObject({ email: 'admin@example.com', refreshed: true });
    expect(result.sub).toBeTypeOf('string');

    await page.goto(`${origin}/logout`);
    await page.waitForURL(`${origin}/bye**`);
    expect(await page.textContent('body')).toBe('signed out bye-state');
    await page.close();
  });
});
