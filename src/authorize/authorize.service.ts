/**
 * The authorization endpoint's decisions: log in, ask consent, or issue a code. Login and consent happen in
 * an interaction (interaction.ts): state sealed into an HttpOnly cookie, with a CSRF token that must also be
 * in the form, so a form posted from elsewhere, or to another browser's interaction, is refused.
 */
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/account.service.js';
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { User, UserStore } from '../accounts/user.store.js';
import type { Client } from '../clients/client.js';
import type { ClientService } from '../clients/client.service.js';
import { recordConsent, type ConsentService } from '../grants/consent.service.js';
import type { ConsentStore } from '../grants/consent.store.js';
import type { Clock } from '../oauth/clock.js';
import { AccessDenied, ConsentRequired, InvalidRequest, InvalidScope, LoginRequired, type OAuthError } from '../oauth/errors.js';
import { sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { SessionService } from '../sessions/session.service.js';
import type { BrowserSession, SessionStore } from '../sessions/session.store.js';
import {
  checkAuthorizationRequest,
  RedirectableError,
  verifyRedirect,
  type AuthorizationRequest,
} from './authorize-request.js';
import type { CodeStore } from './code.store.js';
import { InteractionInvalid, MAX_SEALED_LENGTH, type Interaction, type InteractionSealer, type PendingLogin } from './interaction.js';
import { buildResponse, type AuthorizationResponse } from './response-mode.js';

export interface AuthorizeDeps {
  clients: ClientService;
  accounts: AccountService;
  consents: ConsentService;
  codes: CodeStore;
  /** For a sign-in that waits for consent (nothing else is written until the decision). */
  audit: AuditStore;
  sealer: InteractionSealer;
  sessions: SessionService;
  clock: Clock;
  issuer: string;
  codeExpiry: number;
  grantExpiry: number;
  interactionExpiry: number;
  /** Withholds operator-only scopes the signed-in person's role does not allow (projects/operator-scopes.ts). */
  operatorScopes: { grantable(projectId: string, userId: string, requested: readonly string[]): Promise<string[]> };
  /** Describes scopes for the consent page (the registry's descriptions). */
  scopes: { describe(projectId: string, scopes: readonly string[]): Promise<Array<{ name: string; description: string }>> };
  /** Runs `fn` with stores bound to one transaction: completing an interaction commits once. */
  transaction<T>(
    fn: (stores: { consents: ConsentStore; codes: CodeStore; sessions: SessionStore; users: UserStore; audit: AuditStore }) => Promise<T>,
  ): Promise<T>;
}

/**
 * Who completes an authorization: the browser's session, or a login made during the interaction, whose new
 * session is stored with the grant (replacing the browser's previous one) and whose cookie the route sets.
 */
export interface SignIn {
  session: BrowserSession;
  created?: { cookie: string; replaces: BrowserSession | undefined };
}

export type Step = 'login' | 'consent';

export interface InteractionView {
  step: Step;
  interaction: Interaction;
  /** The interaction sealed for its cookie; its CSRF token goes into the form. */
  sealed: string;
  client: Client;
  user: User | undefined;
  /** The scopes asked for, described for the consent page (not needed by the login step). */
  scopes?: Array<{ name: string; description: string }>;
}

export type Outcome =
  | { kind: 'respond'; response: AuthorizationResponse; signIn?: SignIn }
  | { kind: 'interact'; view: InteractionView };

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
    if (active && !needsLogin) {
      const gated = await this.withholdOperatorScopes(client, active, request);
      if (!gated.ok) return this.fail(request, gated.error);
      request = gated.request;
    }
    if (request.prompt.includes('none')) {
      if (needsLogin) return this.fail(request, new LoginRequired('the user is not signed in'));
      if (await this.needsConsent(client, active!, request)) return this.fail(request, new ConsentRequired('the user has not consented'));
      return { kind: 'respond', response: await this.issueNow(request, active!, session!) };
    }
    if (!needsLogin && !(await this.needsConsent(client, active!, request))) {
      return { kind: 'respond', response: await this.issueNow(request, active!, session!) };
    }
    return this.startInteraction(client, request, needsLogin ? undefined : active);
  }

  /**
   * RFC 6749 §3.3: the server may grant less than asked. Operator-only scopes go only to people whose role
   * allows them now; when that leaves nothing of what was asked, the request fails with invalid_scope.
   */
  private async withholdOperatorScopes(
    client: Client,
    user: User,
    request: AuthorizationRequest,
  ): Promise<{ ok: true; request: AuthorizationRequest } | { ok: false; error: OAuthError }> {
    const scopes = await this.deps.operatorScopes.grantable(client.projectId, user.id, request.scopes);
    if (scopes.length === request.scopes.length) return { ok: true, request };
    if (scopes.length === 0) return { ok: false, error: new InvalidScope('the requested scope is not available to this user') };
    return { ok: true, request: { ...request, scopes } };
  }

  /**
   * Opens an interaction's cookie for a POST of `step`, checking expiry, the CSRF token of the form, and that
   * the step fits: login only before anyone signed in to the interaction, consent only after.
   */
  async resume(id: string, step: Step, sealed: string | undefined, formCsrf: string | undefined): Promise<{ interaction: Interaction; client: Client }> {
    const interaction = this.deps.sealer.open(id, sealed, formCsrf, this.deps.clock.now());
    if (step === 'login' && interaction.userId !== null) throw new InteractionInvalid('This sign-in request already has a signed-in user.');
    if (step === 'consent' && interaction.userId === null) throw new InteractionInvalid('This sign-in request has no signed-in user.');
    const client = await this.deps.clients.find(interaction.clientId);
    if (!client) throw new InteractionInvalid('The application is no longer registered.');
    return { interaction, client };
  }

  /** After a successful login inside an interaction: ask consent if needed, else complete it. */
  async afterLogin(interaction: Interaction, client: Client, user: User, previous: BrowserSession | undefined, ctx?: AuditContext): Promise<Outcome> {
    const login = { authTime: this.deps.clock.now(), amr: ['pwd'] };
    const gated = await this.withholdOperatorScopes(client, user, interaction.request);
    const signIn = this.newSignIn(user.id, login, previous);
    if (!gated.ok) {
      // The person did sign in: keep the session, and tell the client what it cannot have.
      return { kind: 'respond', response: this.error(interaction.request, gated.error), signIn: await this.keepSession(signIn, user, client, ctx) };
    }
    const request = gated.request;
    const current = request === interaction.request ? interaction : { ...interaction, request };
    if (await this.needsConsent(client, user, request)) {
      await record(this.deps.audit, login.authTime, signInEntry(user, client.clientId), ctx);
      const next = { ...current, userId: user.id, login };
      return { kind: 'interact', view: await this.view('consent', next, client, user) };
    }
    return { kind: 'respond', response: await this.complete(current, signIn, 'not-asked', user, ctx), signIn };
  }

  /** Stores a session made during an interaction that ends without a code (with its sign-in event). */
  private async keepSession(signIn: SignIn, user: User, client: Client, ctx: AuditContext | undefined): Promise<SignIn> {
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ sessions, audit }) => {
      if (signIn.created?.replaces) await sessions.delete(signIn.created.replaces.id);
      await sessions.insert(signIn.session);
      await record(audit, now, signInEntry(user, client.clientId), ctx);
    });
    return signIn;
  }

  private async view(step: Step, interaction: Interaction, client: Client, user: User | undefined): Promise<InteractionView> {
    const scopes = await this.deps.scopes.describe(client.projectId, interaction.request.scopes);
    return { step, interaction, sealed: this.deps.sealer.seal(interaction), client, user, scopes };
  }

  /** Who decides on the consent page: the login made in the interaction, else the browser's own session. */
  consentSignIn(interaction: Interaction, current: BrowserSession | undefined): SignIn {
    // resume(…, 'consent') has checked that the interaction names its user.
    if (interaction.login) return this.newSignIn(interaction.userId!, interaction.login, current);
    if (!current || current.userId !== interaction.userId) {
      throw new InteractionInvalid('You are no longer signed in. Return to the application and try again.');
    }
    return { session: current };
  }

  /** The consent decision. The interaction completes once; a second post is refused. */
  async decide(interaction: Interaction, signIn: SignIn, allow: boolean, ctx?: AuditContext): Promise<AuthorizationResponse> {
    return this.complete(interaction, signIn, allow ? 'allow' : 'deny', undefined, ctx);
  }

  /**
   * Completes an interaction in one transaction: the new session (if the login happened here), then on allow
   * the consent, the grant (whose id is the interaction's, so a replay finds it taken) and the code. The user
   * is read inside it (unless the login just read it), so an account disabled meanwhile gets nothing. A login
   * passed in as `signedIn` and a consent given are recorded in the same transaction.
   */
  private async complete(
    interaction: Interaction,
    signIn: SignIn,
    consent: 'allow' | 'deny' | 'not-asked',
    signedIn?: User,
    ctx?: AuditContext,
  ): Promise<AuthorizationResponse> {
    const request = interaction.request;
    // Inside the transaction only its own stores may be touched (SQLite has one connection), so read first.
    const grantExpiry = await this.grantExpiry(request.clientId);
    const now = this.deps.clock.now();
    return this.deps.transaction(async ({ consents, codes, sessions, users, audit }) => {
      const user = signedIn ?? (await users.findById(signIn.session.userId));
      if (!user || user.disabledAt !== null) throw new InteractionInvalid('This account is disabled.');
      if (signIn.created) {
        if (signIn.created.replaces) await sessions.delete(signIn.created.replaces.id);
        await sessions.insert(signIn.session);
      }
      if (signedIn) await record(audit, now, signInEntry(user, request.clientId), ctx);
      if (consent === 'deny') return this.fail(request, new AccessDenied('the user denied the request')).response;
      if (consent === 'allow') {
        await recordConsent(consents, user.id, request.clientId, request.scopes, now);
        const entry = { action: 'consent.granted', actor: { type: 'user' as const, id: user.id }, target: { type: 'client', id: request.clientId } };
        await record(audit, now, { ...entry, detail: { scope: request.scopes } }, ctx);
      }
      return this.completeOnce(interaction.id, request, user, signIn.session, grantExpiry, codes);
    });
  }

  private newSignIn(userId: string, login: PendingLogin, replaces: BrowserSession | undefined): SignIn {
    const { session, cookie } = this.deps.sessions.issue(userId, login.amr, login.authTime);
    return { session, created: { cookie, replaces } };
  }

  /** A code for a person already signed in and consented: no interaction, a fresh grant. */
  private async issueNow(request: AuthorizationRequest, user: User, session: BrowserSession): Promise<AuthorizationResponse> {
    return this.completeOnce(randomUUID(), request, user, session, await this.grantExpiry(request.clientId), this.deps.codes);
  }

  /** Issues the code under grant `id`; refused when that grant exists (a completed interaction replayed). */
  private async completeOnce(id: string, request: AuthorizationRequest, user: User, session: BrowserSession, grantExpiry: number, codes: CodeStore) {
    const response = await this.issueCode(request, user, session, id, grantExpiry, codes);
    if (!response) throw new InteractionInvalid('This sign-in request was already completed.');
    return response;
  }

  private async needsConsent(client: Client, user: User, request: AuthorizationRequest): Promise<boolean> {
    if (request.prompt.includes('consent')) return true;
    if (client.skipConsent) return false;
    return !(await this.deps.consents.covers(user.id, client.clientId, request.scopes));
  }

  private async startInteraction(client: Client, request: AuthorizationRequest, user: User | undefined): Promise<Outcome> {
    const interaction = this.deps.sealer.start(client.clientId, request, user?.id ?? null, this.deps.clock.now() + this.deps.interactionExpiry);
    const view = await this.view(user ? 'consent' : 'login', interaction, client, user);
    // Only an oversized request (a huge state, say) gets here; its cookie would be dropped by the browser.
    if (view.sealed.length > MAX_SEALED_LENGTH) return this.fail(request, new InvalidRequest('the authorization request is too large'));
    return { kind: 'interact', view };
  }

  /** The grant lifetime: the client's refresh token lifetime, else the server's. Read before any transaction. */
  private async grantExpiry(clientId: string): Promise<number> {
    return (await this.deps.clients.find(clientId))?.refreshTokenTtl ?? this.deps.grantExpiry;
  }

  /** Creates the grant `grantId` and its code; undefined when that grant already exists. */
  private async issueCode(
    request: AuthorizationRequest,
    user: User,
    session: BrowserSession,
    grantId: string,
    grantExpiry: number,
    codes: CodeStore,
  ): Promise<AuthorizationResponse | undefined> {
    const now = this.deps.clock.now();
    const code = randomToken(32);
    const issued = await codes.issue(
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
    return issued ? buildResponse(request, { code }, this.deps.issuer) : undefined;
  }

  private fail(request: AuthorizationRequest, err: OAuthError): { kind: 'respond'; response: AuthorizationResponse } {
    return { kind: 'respond', response: this.error(request, err) };
  }

  private error(target: Pick<AuthorizationRequest, 'redirectUri' | 'responseMode' | 'state'>, err: OAuthError): AuthorizationResponse {
    return buildResponse(target, { error: err.error, error_description: err.description }, this.deps.issuer);
  }
}

/** A password sign-in: the user acts, for the client the interaction belongs to. */
function signInEntry(user: User, clientId: string) {
  return { action: 'signin.success', actor: { type: 'user' as const, id: user.id }, target: { type: 'user', id: user.id }, detail: { client_id: clientId } };
}
