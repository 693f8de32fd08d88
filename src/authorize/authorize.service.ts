/**
 * The authorization endpoint's decisions: log in, ask consent, or issue a code. Login and consent happen in
 * an interaction (interaction.ts): state sealed into an HttpOnly cookie, with a CSRF token that must also be
 * in the form, so a form posted from elsewhere, or to another browser's interaction, is refused.
 */
import { claimsBeyondScopes } from '../claims/claims-request.js';
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/account.service.js';
import { auditEvent, record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { User, UserStore } from '../accounts/user.store.js';
import type { Client } from '../clients/client.js';
import type { ClientService } from '../clients/client.service.js';
import { recordConsent, type ConsentService } from '../grants/consent.service.js';
import type { ConsentStore } from '../grants/consent.store.js';
import type { JarmEncoder } from '../jarm/jarm.js';
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
import type { RequestObjectVerifier } from '../request-object/request-object.js';
import type { AuthorizationCode, CodeStore, Grant, SignInWrites } from './code.store.js';
import type { CompletionStore } from './completion.js';
import { InteractionInvalid, MAX_SEALED_LENGTH, type Interaction, type InteractionSealer, type PendingLogin } from './interaction.js';
import { chooserAccounts, type ChooserAccount } from './interaction-select.js';
import { buildResponse, type AuthorizationResponse, type ResponseTarget } from './response-mode.js';

export interface AuthorizeDeps {
  clients: ClientService;
  /** Verifies and merges `request` objects (OIDC Core §6.1). */
  requestObjects: Pick<RequestObjectVerifier, 'resolve'>;
  accounts: AccountService;
  consents: ConsentService;
  codes: CodeStore;
  /** For a sign-in that waits for consent (nothing else is written until the decision). */
  audit: AuditStore;
  sealer: InteractionSealer;
  sessions: SessionService;
  clock: Clock;
  issuer: string;
  /** Signs the JARM response modes (src/jarm/). */
  jarm: JarmEncoder;
  codeExpiry: number;
  /** Pushed authorization requests (par/): the pushed parameters of a `request_uri`, and who must push. */
  pushed?: {
    take(client: Client | undefined, query: Record<string, string>): Promise<{ id: string; params: Record<string, string> } | undefined>;
    requiredFor(client: Client): boolean;
  };
  /** A profile's rule at the authorization endpoint (FAPI 2.0: the request must have been pushed). */
  profileProblem?: (client: Client, pushed: boolean) => OAuthError | undefined;
  /** The code lifetime for a client, at most `codeExpiry` (FAPI 2.0 clients: 60 s, src/fapi/). */
  codeLifetime?: (client: Client, configured: number) => number;
  grantExpiry: number;
  interactionExpiry: number;
  /** Self-service sign-up is on (signup/): prompt=create opens it; off, prompt=create is ignored. */
  signupEnabled?: boolean;
  /** RFC 9449 is on: `dpop_jkt` binds the code (otherwise it is an unknown parameter, ignored per RFC 6749 §3.1). */
  dpopEnabled?: boolean;
  /** Withholds operator-only scopes the signed-in person's role does not allow (projects/operator-scopes.ts). */
  operatorScopes: { grantable(projectId: string, userId: string, requested: readonly string[]): Promise<string[]> };
  /** Describes scopes for the consent page (the registry's descriptions). */
  scopes: { describe(projectId: string, scopes: readonly string[]): Promise<Array<{ name: string; description: string }>> };
  /** The `sub` each client sees (src/subjects/); without it, the local user id. */
  subjects?: { subjectFor(client: Client, userId: string): string };
  /** Runs `fn` with stores bound to one transaction: completing an interaction commits once. */
  transaction<T>(
    fn: (stores: { consents: ConsentStore; codes: CodeStore; sessions: SessionStore; users: UserStore; audit: AuditStore; completions: CompletionStore }) => Promise<T>,
  ): Promise<T>;
}

/**
 * Who completes an authorization: the browser's session, or a login made during the interaction, whose new
 * session is stored with the grant (replacing the browser's previous one) and whose cookie the route sets.
 */
/** Lifetimes (seconds) of the grant and the code an authorization issues, per client. */
interface Lifetimes {
  grant: number;
  code: number;
}

export interface SignIn {
  session: BrowserSession;
  created?: { cookie: string; replaces: BrowserSession | undefined };
}

/** `select`: the account chooser of `prompt=select_account` (interaction-select.ts); `signup`: prompt=create. */
export type Step = 'login' | 'consent' | 'select' | 'signup';

export interface InteractionView {
  step: Step;
  interaction: Interaction;
  /** The interaction sealed for its cookie; its CSRF token goes into the form. */
  sealed: string;
  client: Client;
  user: User | undefined;
  /** The scopes asked for, described for the consent page (not needed by the login step). */
  scopes?: Array<{ name: string; description: string }>;
  /** The accounts this browser is signed in to, for the account chooser. */
  accounts?: ChooserAccount[];
}

export type Outcome =
  | { kind: 'respond'; response: AuthorizationResponse; signIn?: SignIn }
  | { kind: 'interact'; view: InteractionView };

export class AuthorizeService {
  private readonly deps: AuthorizeDeps;

  constructor(deps: AuthorizeDeps) {
    this.deps = deps;
  }

  /**
   * GET/POST /oauth/authorize. Throws UnsafeRedirect when the redirect URI cannot be trusted. `held` lists
   * every live session of the browser (current first), for the account chooser.
   */
  async authorize(query: Record<string, string>, session: BrowserSession | undefined, held: readonly BrowserSession[] = session ? [session] : []): Promise<Outcome> {
    const found = query['client_id'] ? await this.deps.clients.find(query['client_id']) : undefined;
    let request: AuthorizationRequest;
    let client: Client;
    try {
      // A pushed request (RFC 9126, par/) is used as pushed, its request object already merged in; otherwise a
      // `request` object's parameters replace the query's (request-object/request-object.ts).
      const pushed = await this.deps.pushed?.take(found, query);
      const params = pushed ? pushed.params : await this.deps.requestObjects.resolve(found, query);
      if (params instanceof RedirectableError) return { kind: 'respond', response: this.error(params, params.cause) };
      const verified = verifyRedirect(found, params);
      client = verified.client;
      request = checkAuthorizationRequest(client, verified.redirectUri, params);
      if (pushed) request = { ...request, pushedId: pushed.id };
    } catch (err) {
      if (err instanceof RedirectableError) return { kind: 'respond', response: this.error(err, err.cause) };
      throw err;
    }
    if (!request.pushedId && this.deps.pushed?.requiredFor(client)) {
      return this.fail(request, new InvalidRequest('this client must push its authorization requests (PAR, RFC 9126)'));
    }
    const profileProblem = this.deps.profileProblem?.(client, request.pushedId !== undefined);
    if (profileProblem) return this.fail(request, profileProblem);
    // Initiating User Registration 1.0 §4.1: prompt=create shows sign-up; an OP without it ignores the value.
    if (request.prompt.includes('create')) {
      if (this.deps.signupEnabled) return this.startInteraction(client, request, undefined, undefined, 'signup');
      request = { ...request, prompt: request.prompt.filter((p) => p !== 'create') };
    }
    const now = this.deps.clock.now();
    // OIDC Core §3.1.2.1 select_account: the chooser whenever the browser holds a session, even one, so the
    // person can pick another account; with none the login page is where an account is chosen.
    if (request.prompt.includes('select_account') && !request.prompt.includes('login')) {
      const accounts = await chooserAccounts(this.deps.accounts, held);
      if (accounts.length > 0) return this.startInteraction(client, request, undefined, accounts);
    }
    const user = session ? await this.deps.accounts.find(session.userId) : undefined;
    const active = user && user.disabledAt === null ? user : undefined;
    // OIDC Core §3.1.2.1: max_age=0 asks for a fresh login even within the same second.
    const tooOld = request.maxAge !== undefined && session !== undefined && (request.maxAge === 0 || now - session.authTime > request.maxAge);
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
   * An authorization checked elsewhere that ends at a completion target (the device flow, src/device/): the
   * interaction of the code flow, the browser's session honoured (a signed-in person only consents), and the
   * consent page always shown, since the person must confirm the device that is asking (RFC 8628 §5.4).
   */
  async startCompletion(client: Client, request: AuthorizationRequest, session: BrowserSession | undefined): Promise<Outcome> {
    const user = session ? await this.deps.accounts.find(session.userId) : undefined;
    const active = user && user.disabledAt === null ? user : undefined;
    const consenting = { ...request, prompt: ['consent'] };
    if (!active) return this.startInteraction(client, consenting, undefined);
    const gated = await this.withholdOperatorScopes(client, active, consenting);
    if (!gated.ok) return this.fail(consenting, gated.error);
    return this.startInteraction(client, gated.request, active);
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
    if (step !== 'consent' && interaction.userId !== null) throw new InteractionInvalid('This sign-in request already has a signed-in user.');
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

  /**
   * Cancel, on any page of an interaction (login, account chooser, consent): the interaction ends and the
   * client gets access_denied with state and iss in its response mode. Nothing is stored: a login made in this
   * interaction ends with it (its session was never written).
   */
  async cancel(id: string, sealed: string | undefined, formCsrf: string | undefined): Promise<AuthorizationResponse> {
    const now = this.deps.clock.now();
    const interaction = this.deps.sealer.open(id, sealed, formCsrf, now);
    const target = interaction.request.completion;
    if (target) await this.deps.transaction(({ completions }) => completions.deny(target.id, now));
    return this.error(interaction.request, new AccessDenied('the user canceled the request'));
  }

  /** The account chooser's "use another account": the same interaction continues at the login page. */
  async chooseAnother(interaction: Interaction, client: Client): Promise<InteractionView> {
    return this.view('login', interaction, client, undefined);
  }

  /**
   * The account chooser's pick: `chosen` is one of the browser's own sessions (the route checked). Continues as
   * the authorization endpoint would for that session: max_age, operator scopes, consent, then the code.
   */
  async afterSelect(interaction: Interaction, client: Client, chosen: BrowserSession): Promise<Outcome> {
    // Only an interaction that showed the chooser takes a pick: a login page (prompt=login, say) must not be
    // skipped by posting an existing session to it.
    const prompt = interaction.request.prompt;
    if (!prompt.includes('select_account') || prompt.includes('login')) throw new InteractionInvalid('This sign-in request asks you to sign in.');
    const user = await this.deps.accounts.find(chosen.userId);
    if (!user || user.disabledAt !== null) throw new InteractionInvalid(DISABLED);
    let request = interaction.request;
    if (request.maxAge !== undefined && this.deps.clock.now() - chosen.authTime > request.maxAge) {
      return { kind: 'interact', view: await this.view('login', interaction, client, undefined) };
    }
    const gated = await this.withholdOperatorScopes(client, user, request);
    if (!gated.ok) return this.fail(request, gated.error);
    request = gated.request;
    const current = request === interaction.request ? interaction : { ...interaction, request };
    if (await this.needsConsent(client, user, request)) {
      return { kind: 'interact', view: await this.view('consent', { ...current, userId: user.id }, client, user) };
    }
    return { kind: 'respond', response: await this.completeOnce(request.pushedId ?? interaction.id, request, user, chosen, await this.lifetimes(request.clientId), this.deps.codes) };
  }

  private async view(step: Step, interaction: Interaction, client: Client, user: User | undefined): Promise<InteractionView> {
    const scopes = await this.deps.scopes.describe(client.projectId, interaction.request.scopes);
    // Claims asked for by name (OIDC Core §5.5) beyond what the scopes release are shown, and so consented to.
    const extra = claimsBeyondScopes(interaction.request.claims, interaction.request.scopes);
    const shown = extra.length ? [...scopes, { name: extra.join(', '), description: 'details the application asks for by name' }] : scopes;
    return { step, interaction, sealed: this.deps.sealer.seal(interaction), client, user, scopes: shown };
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
   * Completes an interaction as one atomic unit: the new session (if the login happened here), then on allow
   * the consent, the grant (whose id is the interaction's, so a replay finds it taken) and the code, with the
   * audit events of a login passed in as `signedIn` and of a consent given. The user is checked within it, so
   * an account disabled meanwhile gets nothing. Where the store can (PostgreSQL) a code is issued in one
   * statement; a denial, a completion target and a refused subject take the transaction.
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
    const lifetimes = await this.lifetimes(request.clientId);
    const now = this.deps.clock.now();
    const grantId = request.pushedId ?? interaction.id;
    const userId = signIn.session.userId;
    const events = [
      ...(signedIn ? [auditEvent(now, signInEntry(signedIn, request.clientId), ctx)] : []),
      ...(consent === 'allow' ? [auditEvent(now, consentEntry(userId, request.clientId, request.scopes), ctx)] : []),
    ];
    if (this.deps.codes.issueWithSignIn && consent !== 'deny' && !request.completion && !(await this.notRequestedSubject(request, userId))) {
      const issued = await this.issueCode(request, userId, signIn.session, grantId, lifetimes, this.deps.codes, {
        userId,
        session: signIn.created && { insert: signIn.session, replaces: signIn.created.replaces?.id },
        consent: consent === 'allow' ? { scopes: request.scopes, at: now } : undefined,
        events,
      });
      if (!issued) throw new InteractionInvalid(COMPLETED);
      return issued;
    }
    return this.deps.transaction(async ({ consents, codes, sessions, users, audit, completions }) => {
      const user = signedIn ?? (await users.findById(userId));
      if (!user || user.disabledAt !== null) throw new InteractionInvalid(DISABLED);
      if (signIn.created) {
        if (signIn.created.replaces) await sessions.delete(signIn.created.replaces.id);
        await sessions.insert(signIn.session);
      }
      for (const event of events) await audit.append(event);
      if (consent === 'deny') {
        if (request.completion) await completions.deny(request.completion.id, now);
        return this.fail(request, new AccessDenied('the user denied the request')).response;
      }
      if (consent === 'allow') await recordConsent(consents, user.id, request.clientId, request.scopes, now);
      return this.completeOnce(grantId, request, user, signIn.session, lifetimes, codes, completions);
    });
  }

  private newSignIn(userId: string, login: PendingLogin, replaces: BrowserSession | undefined): SignIn {
    const { session, cookie } = this.deps.sessions.issue(userId, login.amr, login.authTime);
    return { session, created: { cookie, replaces } };
  }

  /** A code for a person already signed in and consented: no interaction, a fresh grant. */
  private async issueNow(request: AuthorizationRequest, user: User, session: BrowserSession): Promise<AuthorizationResponse> {
    return this.completeOnce(request.pushedId ?? randomUUID(), request, user, session, await this.lifetimes(request.clientId), this.deps.codes);
  }

  /** Issues the code under grant `id`; refused when that grant exists (a completed interaction replayed). */
  private async completeOnce(
    id: string,
    request: AuthorizationRequest,
    user: User,
    session: BrowserSession,
    lifetimes: Lifetimes,
    codes: CodeStore,
    completions?: CompletionStore,
  ) {
    const wrongUser = await this.notRequestedSubject(request, user.id);
    if (wrongUser) return this.error(request, wrongUser);
    const response = request.completion
      ? await this.approveCompletion(request, user, session, id, lifetimes, completions)
      : await this.issueCode(request, user.id, session, id, lifetimes, codes);
    if (!response) throw new InteractionInvalid(COMPLETED);
    return response;
  }

  private async needsConsent(client: Client, user: User, request: AuthorizationRequest): Promise<boolean> {
    if (request.prompt.includes('consent')) return true;
    if (client.skipConsent) return false;
    if (claimsBeyondScopes(request.claims, request.scopes).length) return true;
    return !(await this.deps.consents.covers(user.id, client.clientId, request.scopes));
  }

  private async startInteraction(
    client: Client,
    request: AuthorizationRequest,
    user: User | undefined,
    accounts?: ChooserAccount[],
    step?: 'signup',
  ): Promise<Outcome> {
    const interaction = this.deps.sealer.start(client.clientId, request, user?.id ?? null, this.deps.clock.now() + this.deps.interactionExpiry);
    const view = accounts
      ? { ...(await this.view('select', interaction, client, undefined)), accounts }
      : await this.view(step ?? (user ? 'consent' : 'login'), interaction, client, user);
    // Only an oversized request (a huge state, say) gets here; its cookie would be dropped by the browser.
    if (view.sealed.length > MAX_SEALED_LENGTH) return this.fail(request, new InvalidRequest('the authorization request is too large'));
    return { kind: 'interact', view };
  }

  /**
   * The grant lifetime (the client's refresh token lifetime, else the server's) and the code lifetime. Read
   * before any transaction.
   */
  private async lifetimes(clientId: string): Promise<Lifetimes> {
    const client = await this.deps.clients.find(clientId);
    const code = client && this.deps.codeLifetime ? this.deps.codeLifetime(client, this.deps.codeExpiry) : this.deps.codeExpiry;
    return { grant: client?.refreshTokenTtl ?? this.deps.grantExpiry, code };
  }

  /** A completion target instead of a code: its grant `grantId` and approval, in the completing transaction. */
  private async approveCompletion(
    request: AuthorizationRequest,
    user: User,
    session: BrowserSession,
    grantId: string,
    lifetimes: Lifetimes,
    completions: CompletionStore | undefined,
  ): Promise<AuthorizationResponse | undefined> {
    // Only the consent decision completes a target (startCompletion asks consent always), inside its transaction.
    if (!completions || !request.completion) throw new InteractionInvalid('This sign-in request cannot be completed here.');
    const now = this.deps.clock.now();
    const grant = { id: grantId, clientId: request.clientId, userId: user.id, scope: request.scopes.join(' '), createdAt: now, expiresAt: now + lifetimes.grant, revokedAt: null, claims: null };
    const approved = await completions.approve(request.completion.id, grant, { userId: user.id, authTime: session.authTime, amr: session.amr }, now);
    return approved ? { redirectUri: '', responseMode: 'query', params: {}, completed: 'approved' } : undefined;
  }

  /**
   * Creates the grant `grantId` and its code; undefined when that grant already exists. Where the store can
   * (PostgreSQL, outside a transaction) that is one statement, with `writes` and guarded by the user being
   * enabled; otherwise `codes` is the completing transaction's (or makes its own) and `writes` were made in it.
   */
  private async issueCode(
    request: AuthorizationRequest,
    userId: string,
    session: BrowserSession,
    grantId: string,
    lifetimes: Lifetimes,
    codes: CodeStore,
    writes: SignInWrites = { userId, events: [] },
  ): Promise<AuthorizationResponse | undefined> {
    const { code, grant, record } = this.codeFor(request, userId, session, grantId, lifetimes);
    const issued = codes.issueWithSignIn ? await codes.issueWithSignIn(grant, record, writes) : (await codes.issue(grant, record)) ? 'issued' : 'taken';
    if (issued === 'disabled') throw new InteractionInvalid(DISABLED);
    return issued === 'issued' ? buildResponse(request, { code }, this.deps.issuer, this.deps.jarm) : undefined;
  }

  /** A fresh code for `request` and the grant `grantId` it belongs to; only the code's sha256 is stored. */
  private codeFor(request: AuthorizationRequest, userId: string, session: BrowserSession, grantId: string, lifetimes: Lifetimes) {
    const now = this.deps.clock.now();
    const code = randomToken(32);
    const claimsJson = request.claims ? JSON.stringify(request.claims) : null;
    const scope = request.scopes.join(' ');
    const grant: Grant = { id: grantId, clientId: request.clientId, userId, scope, createdAt: now, expiresAt: now + lifetimes.grant, revokedAt: null, claims: claimsJson };
    const record: AuthorizationCode = {
      codeHash: sha256(code),
      grantId,
      clientId: request.clientId,
      userId,
      redirectUri: request.redirectUri,
      scope,
      resource: request.resource ?? null,
      nonce: request.nonce ?? null,
      codeChallenge: request.codeChallenge ?? null,
      codeChallengeMethod: request.codeChallenge ? 'S256' : null,
      authTime: session.authTime,
      sid: session.sid,
      amr: JSON.stringify(session.amr),
      claims: claimsJson,
      createdAt: now,
      expiresAt: now + lifetimes.code,
      consumedAt: null,
      dpopJkt: this.deps.dpopEnabled ? (request.dpopJkt ?? null) : null,
    };
    return { code, grant, record };
  }

  /**
   * OpenID Connect Core §5.5.1: when the id_token member asks for `sub` with a value, only that End-User may
   * get a positive response; anyone else ends in login_required (prompt=none) or access_denied.
   */
  private async notRequestedSubject(request: AuthorizationRequest, userId: string): Promise<OAuthError | undefined> {
    const wanted = request.claims?.id_token?.['sub']?.value;
    if (wanted === undefined) return undefined;
    const client = await this.deps.clients.find(request.clientId);
    const sub = client && this.deps.subjects ? this.deps.subjects.subjectFor(client, userId) : userId;
    if (wanted === sub) return undefined;
    return request.prompt.includes('none') ? new LoginRequired('the signed-in user is not the requested subject') : new AccessDenied('the signed-in user is not the requested subject');
  }

  private fail(request: AuthorizationRequest, err: OAuthError): { kind: 'respond'; response: AuthorizationResponse } {
    return { kind: 'respond', response: this.error(request, err) };
  }

  private error(target: ResponseTarget & { completion?: unknown }, err: OAuthError): AuthorizationResponse {
    if (target.completion) return { redirectUri: '', responseMode: 'query', params: { error: err.error, error_description: err.description }, completed: 'refused' };
    return buildResponse(target, { error: err.error, error_description: err.description }, this.deps.issuer, this.deps.jarm);
  }
}

const DISABLED = 'This account is disabled.';
const COMPLETED = 'This sign-in request was already completed.';

/** A consent given on the consent page: the user acts, for the client. */
function consentEntry(userId: string, clientId: string, scopes: readonly string[]) {
  return { action: 'consent.granted', actor: { type: 'user' as const, id: userId }, target: { type: 'client', id: clientId }, detail: { scope: scopes } };
}

/** A password sign-in: the user acts, for the client the interaction belongs to. */
function signInEntry(user: User, clientId: string) {
  return { action: 'signin.success', actor: { type: 'user' as const, id: user.id }, target: { type: 'user', id: user.id }, detail: { client_id: clientId } };
}
