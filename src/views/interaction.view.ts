/** Interaction pages besides login and consent: Cancel, the account chooser and sign-up. Pure (model) → HTML. */
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';

/**
 * Cancel is its own form, after the page's main form, so it posts without the fields the main form requires
 * and is reached by Tab like any button.
 */
export function cancelForm(action: string, csrf: string): Html {
  return html`<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${csrf}">
<button class="secondary" type="submit" aria-label="Cancel and return to the application">Cancel</button>
</form>`;
}

export interface ChooserModel {
  action: string;
  cancelAction: string;
  csrf: string;
  clientName: string;
  selfRegistered: boolean;
  accounts: Array<{ sessionId: string; name: string; email: string }>;
}

/** prompt=select_account: one button per account (a form each, so a button posts exactly one choice). */
export function accountChooserPage(m: ChooserModel): string {
  return layout(
    'Choose an account',
    html`<h1>Choose an account</h1>
<p class="muted">to continue to <strong>${m.clientName}</strong>${m.selfRegistered ? ' (unverified application, registered by itself)' : ''}</p>
<ul class="accounts">${m.accounts.map(
      (a) => html`<li><form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<input type="hidden" name="session" value="${a.sessionId}">
<button class="secondary" type="submit"><strong>${a.name}</strong><br><span class="muted">${a.email}</span></button>
</form></li>`,
    )}</ul>
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<input type="hidden" name="session" value="another">
<button class="secondary" type="submit">Use another account</button>
</form>
${cancelForm(m.cancelAction, m.csrf)}`,
  );
}

export interface SignupModel {
  action: string;
  cancelAction: string;
  /** Posts "use another account" to the chooser step: the login page of the same interaction. */
  signInAction: string;
  csrf: string;
  clientName: string;
  selfRegistered: boolean;
  email?: string | undefined;
  name?: string | undefined;
  error?: string | undefined;
}

/** prompt=create (Initiating User Registration 1.0): email, name, password; then the authorization goes on. */
export function signupPage(m: SignupModel): string {
  return layout(
    'Create an account',
    html`<h1>Create an account</h1>
<p class="muted">to continue to <strong>${m.clientName}</strong>${m.selfRegistered ? ' (unverified application, registered by itself)' : ''}</p>
${m.error ? html`<p class="error" role="alert">${m.error}</p>` : ''}
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required autofocus value="${m.email ?? ''}">
<label for="name">Name</label>
<input id="name" name="name" type="text" autocomplete="name" required maxlength="200" value="${m.name ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
<button class="primary" type="submit">Create account</button>
</form>
<form method="post" action="${m.signInAction}">
<input type="hidden" name="csrf" value="${m.csrf}">
<input type="hidden" name="session" value="another">
<button class="secondary" type="submit">I already have an account</button>
</form>
${cancelForm(m.cancelAction, m.csrf)}`,
  );
}
