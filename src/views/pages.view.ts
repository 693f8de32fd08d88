/** Login, consent, error, logout and form_post pages: pure (model) → HTML. */
import { html, Html } from './html.js';
import { cancelForm } from './interaction.view.js';
import { layout } from './layout.view.js';

export interface LoginModel {
  action: string;
  csrf: string;
  clientName: string;
  /** Registered by itself (RFC 7591): the name is unverified, so the page says so before a password is typed. */
  selfRegistered?: boolean | undefined;
  email?: string | undefined;
  error?: string | undefined;
  /** Where Cancel posts (interaction.view.ts): the client then hears access_denied. */
  cancelAction?: string | undefined;
}

export function loginPage(m: LoginModel): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
<p class="muted">to continue to <strong>${m.clientName}</strong>${m.selfRegistered ? ' (unverified application, registered by itself)' : ''}</p>
${m.error ? html`<p class="error" role="alert">${m.error}</p>` : ''}
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" required autofocus value="${m.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Sign in</button>
</form>
${m.cancelAction ? cancelForm(m.cancelAction, m.csrf) : ''}`,
  );
}

export interface ConsentModel {
  action: string;
  csrf: string;
  clientName: string;
  clientUri?: string | undefined;
  /** OIDC Dynamic Client Registration §2: shown to the user; the logo only over https (CSP img-src). */
  logoUri?: string | undefined;
  policyUri?: string | undefined;
  tosUri?: string | undefined;
  /**
   * Where the browser is sent after the decision: the host (or the app scheme) the user should recognise;
   * undefined for a device authorization (RFC 8628), whose device gets the answer.
   */
  redirectTarget: string | undefined;
  /** Registered by itself (RFC 7591): its name is a claim nobody checked. */
  selfRegistered: boolean;
  userEmail: string;
  scopes: Array<{ name: string; description: string }>;
}

/** Allow and Deny are two forms, so each button posts exactly one decision. */
export function consentPage(m: ConsentModel): string {
  return layout(
    'Allow access',
    html`${m.logoUri?.startsWith('https:') ? html`<img class="client-logo" src="${m.logoUri}" alt="${m.clientName} logo" width="64" height="64">` : ''}<h1>Allow access?</h1>
${m.selfRegistered ? html`<p class="error" role="note"><strong>Unverified application</strong>, registered by itself: its name was chosen by whoever registered it and is not checked by this server.</p>` : ''}
<p><strong>${m.clientName}</strong>${m.selfRegistered ? ' (unverified)' : ''} wants to access your account <strong>${m.userEmail}</strong>:</p>
<ul class="scopes">${m.scopes.map((s) => html`<li><strong>${s.name}</strong>: ${s.description}</li>`)}</ul>
${m.redirectTarget === undefined
    ? html`<p>The device that showed you the code gets this access. Allow only if you started the sign-in on that device yourself.</p>`
    : html`<p>After your choice you will be sent to <strong class="redirect-host">${m.redirectTarget}</strong>.</p>`}
${clientLinks(m)}
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<input type="hidden" name="decision" value="allow">
<button class="primary" type="submit">Allow</button>
</form>
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<input type="hidden" name="decision" value="deny">
<button class="secondary" type="submit">Deny</button>
</form>`,
  );
}

/** The client's home page, privacy policy and terms, as links that give the client no handle on this page. */
function clientLinks(m: ConsentModel): Html | string {
  const links = [
    [m.clientUri, 'Application home page', 'client-uri'],
    [m.policyUri, 'Privacy policy', 'policy-uri'],
    [m.tosUri, 'Terms of service', 'tos-uri'],
  ].filter((l): l is [string, string, string] => typeof l[0] === 'string');
  if (!links.length) return '';
  return html`<p class="muted client-links">${links.map(([href, text, cls]) => html`<a class="${cls}" href="${href}" rel="noopener noreferrer" target="_blank">${text}</a> `)}</p>`;
}

export function errorPage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p class="muted">You can close this page and return to the application.</p>`);
}

/**
 * RP-Initiated Logout 1.0 §2: the confirmation asked for unless the request proves it comes from the current
 * session. It names the host the browser goes to next, so a link cannot silently bounce anyone elsewhere.
 */
export function logoutConfirmPage(m: { action: string; csrf: string; fields: Record<string, string>; destinationHost?: string | undefined; signedIn: boolean }): string {
  return layout(
    'Sign out',
    html`<h1>Sign out?</h1>
<p>${m.signedIn ? 'Do you want to sign out of Gatehouse?' : 'You are not signed in to Gatehouse.'}</p>
${m.destinationHost ? html`<p>Afterwards you will be sent to <strong>${m.destinationHost}</strong>.</p>` : ''}
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
${Object.entries(m.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button class="primary" type="submit">${m.signedIn ? 'Sign out' : 'Continue'}</button>
</form>`,
  );
}

export function loggedOutPage(): string {
  return layout('Signed out', html`<h1>You are signed out</h1><p class="muted">You can close this page.</p>`);
}

/** The one inline script Gatehouse serves; the CSP allows it by hash. */
export const FORM_POST_SCRIPT = 'document.forms[0].submit();';

export function formPostPage(action: string, fields: Record<string, string>): string {
  const script = html`<script>${new Html(FORM_POST_SCRIPT)}</script>`;
  return layout(
    'Continue',
    html`<h1>Continue</h1>
<form method="post" action="${action}">
${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<noscript><p>JavaScript is off: press Continue.</p></noscript>
<button class="primary" type="submit">Continue</button>
</form>`,
    { script },
  );
}
