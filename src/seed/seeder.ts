/**
 * First-run data: the default project, the superadmin, the default dashboard client, the demo client and the
 * upstream providers. One transaction, idempotent: a record that exists is skipped, never changed.
 */
import { randomUUID } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import type { UserStore } from '../accounts/user.store.js';
import type { ClientService } from '../clients/client.service.js';
import type { ClientStore } from '../clients/client.store.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../oauth/clock.js';
import { randomToken } from '../oauth/random.js';
import type { SecretBox } from '../oauth/secret-box.js';
import { DEFAULT_PROJECT_SLUG } from '../projects/project.service.js';
import type { ProjectStore } from '../projects/project.store.js';
import type { ScopeStore } from '../scopes/scope.store.js';
import type { ProviderStore } from '../upstream/provider.store.js';

export interface SeedStores {
  users: UserStore;
  projects: ProjectStore;
  providers: ProviderStore;
  clients: ClientStore;
  scopes: ScopeStore;
}

export interface SeederDeps {
  transaction<T>(fn: (stores: SeedStores, clientService: ClientService) => Promise<T>): Promise<T>;
  box: SecretBox;
  clock: Clock;
  /** Step log: never receives a secret. */
  log(message: string): void;
}

/** Secrets generated during this run, shown once to the operator and never stored in plain text. */
export interface SeedResult {
  created: string[];
  skipped: string[];
  adminEmail: string;
  generatedAdminPassword?: string;
  demoClient?: { clientId: string; clientSecret?: string | undefined };
}


/** `resources`: the server's resource indicators (`auth.resources`), the demo client's by default. */
export async function seed(deps: SeederDeps, seeder: Config['seeder'], resources: readonly string[] = []): Promise<SeedResult> {
  return deps.transaction(async (stores, clients) => {
    const now = deps.clock.now();
    const result: SeedResult = { created: [], skipped: [], adminEmail: seeder.superadmin.email.toLowerCase() };
    const step = (what: string, created: boolean) => {
      (created ? result.created : result.skipped).push(what);
      deps.log(created ? `${what}: created` : `${what}: already exists, skipping`);
    };

    let project = await stores.projects.findBySlug(DEFAULT_PROJECT_SLUG);
    step(`project ${DEFAULT_PROJECT_SLUG}`, !project);
    if (!project) {
      project = { id: randomUUID(), num: await stores.projects.nextNum(), name: 'Default project', slug: DEFAULT_PROJECT_SLUG, createdAt: now };
      await stores.projects.insert(project);
    }

    const admin = seeder.superadmin;
    let user = await stores.users.findByEmail(admin.email);
    if (user) {
      step(`superadmin ${result.adminEmail}`, false);
    } else {
      const password = admin.password || randomToken(18);
      if (!admin.password) result.generatedAdminPassword = password;
      user = {
        id: randomUUID(),
        email: admin.email,
        emailVerified: true,
        givenName: admin.firstName,
        familyName: admin.lastName,
        name: `${admin.firstName} ${admin.lastName}`.trim(),
        passwordHash: await argon2Hash(password),
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
        profileClaims: {},
      };
      await stores.users.insert(user);
      await stores.users.insertIdentity({ id: randomUUID(), userId: user.id, provider: 'system', subject: user.id, createdAt: now });
      step(`superadmin ${result.adminEmail}`, true);
    }
    if (!(await stores.projects.findMember(project.id, user.id))) {
      await stores.projects.addMember({ projectId: project.id, userId: user.id, role: 'owner', createdAt: now });
    }

    const dash = seeder.defaultOAuthClient;
    if (await stores.clients.find(dash.clientId)) {
      step(`client ${dash.clientId} (default)`, false);
    } else {
      await clients.create(
        {
          client_id: dash.clientId,
          client_name: dash.name,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: dash.redirectUris,
          scope: 'openid profile email offline_access admin',
          pkce_required: dash.pkceRequired,
          skip_consent: true,
        },
        { registrar: 'operator', projectId: project.id, isDefault: true },
      );
      step(`client ${dash.clientId} (default)`, true);
    }

    const demo = seeder.demoClient;
    if (demo.enabled) {
      // The demo's API scopes (api:read …) are custom scopes of the default project: a client holds only registered scopes.
      for (const name of demo.scopes) {
        if (await stores.scopes.find(project.id, name)) continue;
        await stores.scopes.insert({ id: randomUUID(), projectId: project.id, name, description: `Access “${name}”`, operatorOnly: false, createdAt: now });
      }
      if (await stores.clients.find(demo.clientId)) {
        step(`client ${demo.clientId} (demo)`, false);
      } else {
        const created = await clients.create(
          {
            client_id: demo.clientId,
            client_name: demo.name,
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
            redirect_uris: demo.redirectUris,
            post_logout_redirect_uris: demo.postLogoutRedirectUris,
            resources: demo.resources ?? [...resources],
            scope: demo.scopes.join(' '),
            ...(demo.clientSecret ? { client_secret: demo.clientSecret } : {}),
          },
          { registrar: 'operator', projectId: project.id },
        );
        result.demoClient = { clientId: demo.clientId, clientSecret: created.clientSecret };
        step(`client ${demo.clientId} (demo)`, true);
      }
    }

    for (const [id, p] of Object.entries(seeder.oauthProviders)) {
      if (await stores.providers.find(id)) {
        step(`upstream provider ${id}`, false);
        continue;
      }
      await stores.providers.insert({
        id,
        clientId: p.clientId,
        clientSecretEnc: deps.box.seal(p.clientSecret, `upstream-provider:${id}`),
        redirectUrl: p.redirectUrl,
        scopes: p.scopes,
        enabled: p.enabled,
        createdAt: now,
        updatedAt: now,
      });
      step(`upstream provider ${id}`, true);
    }
    return result;
  });
}
