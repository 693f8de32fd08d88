/** The device flow's pages (RFC 8628 §3.3): enter the user code, and the end of the interaction. Pure (model) → HTML. */
import { html } from './html.js';
import { layout } from './layout.view.js';

export interface UserCodeModel {
  action: string;
  csrf: string;
  /** From verification_uri_complete (§3.3.1): shown in the field, never submitted for the person. */
  userCode?: string | undefined;
  error?: string | undefined;
}

/** §5.4: the code in a link is only pre-filled; the person presses Continue themselves. */
export function userCodePage(m: UserCodeModel): string {
  return layout(
    'Connect a device',
    html`<h1>Connect a device</h1>
<p class="muted">Enter the code shown on your device. Only continue if you started this on a device you own.</p>
${m.error ? html`<p class="error" role="alert">${m.error}</p>` : ''}
<form method="post" action="${m.action}">
<input type="hidden" name="csrf" value="${m.csrf}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus value="${m.userCode ?? ''}">
<button class="primary" type="submit">Continue</button>
</form>`,
  );
}

/** After the consent decision: nothing to redirect to, the device picks up the result by polling. */
export function deviceDonePage(outcome: 'approved' | 'refused'): string {
  return outcome === 'approved'
    ? layout('Device connected', html`<h1>Device connected</h1><p>You may return to your device.</p><p class="muted">You can close this page.</p>`)
    : layout('Device not connected', html`<h1>Device not connected</h1><p>The device was not given access. You may return to your device.</p><p class="muted">You can close this page.</p>`);
}
