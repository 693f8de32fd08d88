/**
 * Issue 13 ("embeddable"): the package entry `gatehouse-oidc` mounted in a host app, run as the example's header
 * says from the repository, and from a project that installed the tarball `npm pack` makes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, freePort, type Deployment } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { startExample, type RunningExample } from '../helpers/examples.js';
import { basic, postForm } from '../helpers/http.js';

const EXAMPLE = 'examples/embedded/app.mjs';
const pg = await postgresAvailable();

/** The host app answers its own paths, Gatehouse answers its own, on one origin which is the issuer. */
async function checkHost(origin: string): Promise<void> {
  const home = await fetch(`${origin}/`);
  expect(await home.text()).toContain('The host app.');
  expect((await fetch(`${origin}/elsewhere`)).status).toBe(404);
  const discovery = (await (await fetch(`${origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  expect(discovery['issuer']).toBe(origin);
  expect(discovery['token_endpoint']).toBe(`${origin}/oauth/token`);
  const token = await postForm(`${origin}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET) });
  expect(token.status, JSON.stringify(token.json)).toBe(200);
  const jwks = await fetch(`${origin}/jwks.json`);
  expect(jwks.status).toBe(200);
  // Gatehouse's own error format and headers under its paths.
  const bad = await postForm(`${origin}/oauth/token`, { grant_type: 'password' }, { authorization: basic('demo-client', DEMO_SECRET) });
  expect(bad.json['error']).toBe('unsupported_grant_type');
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
}

describe('embedded in a host app', () => {
  const running: RunningExample[] = [];
  const deployments: Deployment[] = [];
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all(deployments.map((d) => d.cleanup()));
  });

  it('from the repository, as the example header says (SQLite)', async () => {
    const dep = await createDeployment('sqlite');
    deployments.push(dep);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    running.push(await startExample(EXAMPLE, { PORT: String(port), ISSUER: origin, GATEHOUSE_CONFIG: dep.configPath }));
    await checkHost(origin);
  });

  describe('from a project that installed the packed tarball', () => {
    let project: string;
    beforeAll(() => {
      project = mkdtempSync(join(tmpdir(), 'gatehouse-embed-'));
      // dist/ is built by the global setup; the tarball holds what `files` lists.
      const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', project], { encoding: 'utf8' });
      expect(packed.status, packed.stderr).toBe(0);
      const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
      expect(tarball).toMatch(/^gatehouse-oidc-\d+\.\d+\.\d+\.tgz$/);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
      // From npm's cache (the repository's own `npm ci` filled it). Install scripts are skipped, so the native
      // SQLite driver is not built here: the installed copy runs on PostgreSQL.
      const installed = spawnSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${tarball}`], {
        cwd: project,
        encoding: 'utf8',
        timeout: 240_000,
      });
      expect(installed.status, `${installed.stderr}\n${installed.stdout}`).toBe(0);
      mkdirSync(join(project, 'examples', 'embedded'), { recursive: true });
      copyFileSync(resolve(EXAMPLE), join(project, EXAMPLE));
    }, 300_000);
    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it('ships its types and no sources or tests', () => {
      const pkg = join(project, 'node_modules', 'gatehouse-oidc');
      expect(existsSync(join(pkg, 'dist', 'index.js'))).toBe(true);
      expect(existsSync(join(pkg, 'dist', 'index.d.ts'))).toBe(true);
      expect(existsSync(join(pkg, 'src'))).toBe(false);
      expect(existsSync(join(pkg, 'test'))).toBe(false);
    });

    it.skipIf(!pg)('the installed package runs the example (PostgreSQL)', async () => {
      const dep = await createDeployment('postgres');
      deployments.push(dep);
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const proc = await startExample(join(project, EXAMPLE), { PORT: String(port), ISSUER: origin, GATEHOUSE_CONFIG: dep.configPath }, project);
      running.push(proc);
      await checkHost(origin);
    });
  });
});
