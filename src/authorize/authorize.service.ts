/**
 * The authorization endpoint's decisions: log in, ask consent, or issue a code. Login and consent happen in
 * an interaction: a server-side record bound to the browser by a CSRF token that is both in an HttpOnly
 * cookie and in the form, so a form posted from elsewhere, or to another browser's interaction, is refused.
 */
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/account.service.js';
import type { User } from '../accounts/user.store.js';
import type { Client } from '../clients/client.js';
import type { ClientService } from '../clients/client.service.js';
import { recordConsent, type ConsentService } from '../grants/consent.service.js';
import type { ConsentStore } from '../grants/consent.store.js';
import type { Clock } from '../oauth/clock.js';
import { AccessDenied, ConsentRequired, LoginRequired, type OAuthError } from '../oauth/errors.js';
import { constantTimeEqual, sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { InteractionStore } from '../sessions/interaction.store.js';
import type { BrowserSession } from '../sessions/session.store.js';
import {
  checkAuthorizationRequest,
  RedirectableError,
  verifyRedirect,
  type AuthorizationRequest,
} from './authorize-request.js';
import type { CodeStore } from './code.store.js';
import { buildResponse, type AuthorizationResponse } from './response-mode.js';

export interface AuthorizeDeps {
  clients: ClientService;
  accounts: AccountService;
  consents: ConsentService;
  codes: CodeStore;
  interactions: InteractionStore;
  clock: Clock;
  issuer: string;
  codeExpiry: number;
  grantExpiry: number;
  interactionExpiry: number;
  /** Runs `fn` with stores bound to one transaction: the consent decision commits once. */
  transaction<T>(fn: (stores: { interactions: InteractionStore; consents: ConsentStore; codes: CodeStore }) => Promise<T>): Promise<T>;
}

export type Step = 'login' | 'consent';

export interface InteractionView {
  step: Step;
  interactionId: string;
  /** The CSRF token: rendered into the form and set as the interaction cookie. */
  csrf: string;
  client: Client;
  request: AuthorizationRequest;
  user: User | undefined;
}

export type Outcome = { kind: 'respond'; response: AuthorizationResponse } | { kind: 'interact'; view: InteractionView };

/** The interaction is unknown, expired, or its CSRF token does not match: shown as an error page. */
export class InteractionInvalid extends Error {
  override name = 'InteractionInvalid';
}

export class AuthorizeService {
  private readonly deps: AuthorizeDeps;

  constructor(deps: AuthorizeDeps) {
    this.deps = deps;
  }

  /** GET/POST /oauth/authorize. Throws UnsafeRedirect when the redirect URI cannot be trusted. */
  async authorize(params: Record<string, string>, session: BrowserSession | undefined): Promise<Outcome> {
    const { client, redirectUri } = verifyRedirect(params['client_id'] ? await this.deps.clients.find(params['client_id']) : undefined, params);
    let request: AuthorizationRequest;
    try {
      request = checkAuthorizationRequest(client, redirectUri, params);
    } catch (err) {
      if (err instanceof RedirectableError) return { kind: 'respond', response: this.error(err, err.cause) };
      throw err;
    }
    const now = this.deps.clock.now();
    const user = session ? await this.deps.accounts.find(session.userId) : undefined;
    const active = user && user.disabledAt === null ? user : undefined;
    const tooOld = request.maxAge !== undefined && session !== undefined && now - session.authTime > request.maxAge;
    const needsLogin = !active || request.prompt.includes('login') || tooOld;
    if (request.prompt.includes('none')) {
      if (needsLogin) return this.fail(request, new LoginRequired('the user is not signed in'));
      if (await this.needsConsent(client, active!, request)) return this.fail(request, new ConsentRequired('the user has not consented'));
      return { kind: 'respond', response: await this.issueCode(request, active!, session!) };
    }
    if (!needsLogin && !(await this.needsConsent(client, active!, request))) {
      return { kind: 'respond', response: await this.issueCode(request, active!, session!) };
    }
    return { kind: 'interact', view: await this.startInteraction(client, request, needsLogin ? undefined : active) };
  }

  /** Loads an interaction for a POST, checking expiry and the CSRF token from both the form and the cookie. */
  async resume(interactionId: string, formCsrf: string | undefined, cookieCsrf: string | undefined) {
    const interaction = await this.deps.interactions.find(interactionId);
    const now = this.deps.clock.now();
    if (!interaction || interaction.expiresAt <= now) throw new InteractionInvalid('This sign-in request has expired. Return to the application and try again.');
    if (!formCsrf || !cookieCsrf || !constantTimeEqual(formCsrf, cookieCsrf) || !constantTimeEqual(sha256(formCsrf), interaction.csrfHash)) {
      throw new InteractionInvalid('This form could not be verified. Return to the application and try again.');
    }
    const client = await this.deps.clients.find(interaction.clientId);
    if (!client) throw new InteractionInvalid('The application is no longer registered.');
    return { interaction, client, request: JSON.parse(interaction.params) as AuthorizationRequest, csrf: formCsrf };
  }

  /** After a successful login inside interaction `id`: ask consent if needed, else issue the code. */
  async afterLogin(id: string, csrf: string, client: Client, request: AuthorizationRequest, user: User, session: BrowserSession): Promise<Outcome> {
    if (await this.needsConsent(client, user, request)) {
      await this.deps.interactions.setUser(id, user.id);
      return { kind: 'interact', view: { step: 'consent', interactionId: id, csrf, client, request, user } };
    }
    if (!(await this.deps.interactions.consume(id))) throw new InteractionInvalid('This sign-in request was already completed.');
    return { kind: 'respond', response: await this.issueCode(request, user, session) };
  }

  /** The consent decision. The interaction completes once; a second post is refused. */
  async decide(id: string, request: AuthorizationRequest, user: User, session: BrowserSession, allow: boolean): Promise<AuthorizationResponse> {
    // Inside the transaction only its own stores may be touched (SQLite has one connection), so read first.
    const grantExpiry = await this.grantExpiry(request.clientId);
    return this.deps.transaction(async ({ interactions, consents, codes }) => {
      if (!(await interactions.consume(id))) throw new InteractionInvalid('This sign-in request was already completed.');
      if (!allow) return this.fail(request, new AccessDenied('the user denied the request')).response;
      await recordConsent(consents, user.id, request.clientId, request.scopes, this.deps.clock.now());
      return this.issueCode(request, user, session, grantExpiry, codes);
    });
  }

  private async needsConsent(client: Client, user: User, request: AuthorizationRequest): Promise<boolean> {
    if (request.prompt.includes('consent')) return true;
    if (client.skipConsent) return false;
    return !(await this.deps.consents.covers(user.id, client.clientId, request.scopes));
  }

  private async startInteraction(client: Client, request: AuthorizationRequest, user: User | undefined): Promise<InteractionView> {
    const now = this.deps.clock.now();
    const csrf = randomToken(32);
    const id = randomToken(16);
    await this.deps.interactions.insert({
      id,
      csrfHash: sha256(csrf),
      clientId: client.clientId,
      params: JSON.stringify(request),
      userId: user?.id ?? null,
      createdAt: now,
      expiresAt: now + this.deps.interactionExpiry,
    });
    return { step: user ? 'consent' : 'login', interactionId: id, csrf, client, request, user };
  }

  /** The grant lifetime: the client's refresh token lifetime, else the server's. Read before any transaction. */
  private async grantExpiry(clientId: string): Promise<number> {
    return (await this.deps.clients.find(clientId))?.refreshTokenTtl ?? this.deps.grantExpiry;
  }

  private async issueCode(
    request: AuthorizationRequest,
    user: User,
    session: BrowserSession,
    grantExpiry?: number,
    codes: CodeStore = this.deps.codes,
  ): Promise<AuthorizationResponse> {
    const now = this.deps.clock.now();
    grantExpiry ??= await this.grantExpiry(request.clientId);
    const code = randomToken(32);
    const grantId = randomUUID();
    await codes.issue(
      { id: grantId, clientId: request.clientId, userId: user.id, scope: request.scopes.join(' '), createdAt: now, expiresAt: now + grantExpiry, revokedAt: null },
      {
        codeHash: sha256(code),
        grantId,
        clientId: request.clientId,
        userId: user.id,
        redirectUri: request.redirectUri,
        scope: request.scopes.join(' '),
        resource: request.resource ?? null,
        nonce: request.nonce ?? null,
        codeChallenge: request.codeChallenge ?? null,
        codeChallengeMethod: request.codeChallenge ? 'S256' : null,
        authTime: session.authTime,
        sid: session.sid,
        amr: JSON.stringify(session.amr),
        claims: request.idTokenClaims.length ? JSON.stringify(request.idTokenClaims) : null,
        createdAt: now,
        expiresAt: now + this.deps.codeExpiry,
        consumedAt: null,
      },
    );
    return buildResponse(request, { code }, this.deps.issuer);
  }

  private fail(request: AuthorizationRequest, err: OAuthError): { kind: 'respond'; response: AuthorizationResponse } {
    return { kind: 'respond', response: this.error(request, err) };
  }

  private error(target: Pick<AuthorizationRequest, 'redirectUri' | 'responseMode' | 'state'>, err: OAuthError): AuthorizationResponse {
    return buildResponse(target, { error: err.error, error_description: err.description }, this.deps.issuer);
  }
}
