/**
 * Front-Channel Logout 1.0 §3: the logged-out page renders one hidden iframe per client of the ended session,
 * then moves on to the post-logout redirect without script: a meta refresh after a short pause (time for the
 * frames to load) and a Continue link for browsers that ignore it.
 */
import { html } from './html.js';
import { layout } from './layout.view.js';

/** Seconds the page waits for the front-channel frames before the post-logout redirect. */
export const FRONTCHANNEL_PAUSE_SECONDS = 2;

export function frontchannelLogoutPage(m: { frames: string[]; next?: string | undefined }): string {
  const refresh = m.next ? html`<meta http-equiv="refresh" content="${FRONTCHANNEL_PAUSE_SECONDS};url=${m.next}">` : '';
  return layout(
    'Signed out',
    html`${refresh}<h1>You are signed out</h1>
${m.next ? html`<p><a href="${m.next}">Continue</a></p>` : html`<p class="muted">You can close this page.</p>`}
${m.frames.map((src) => html`<iframe src="${src}" hidden title="sign-out"></iframe>`)}`,
  );
}
