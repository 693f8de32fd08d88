/**
 * The account chooser of `prompt=select_account` (OIDC Core §3.1.2.1): the accounts a browser holds sessions
 * for (sessions/session-cookie.ts), each named by its session id, which is not a secret (the secret half of
 * the cookie entry is). A pick is honoured only for a session the posting browser itself presents.
 */
import type { BrowserSession } from '../sessions/session.store.js';
import type { User } from '../accounts/user.store.js';

export interface ChooserAccount {
  sessionId: string;
  name: string;
  email: string;
}

/** The browser's sessions of active accounts, current first; one entry per account. */
export async function chooserAccounts(accounts: { find(id: string): Promise<User | undefined> }, held: readonly BrowserSession[]): Promise<ChooserAccount[]> {
  const out: ChooserAccount[] = [];
  const seen = new Set<string>();
  for (const session of held) {
    if (seen.has(session.userId)) continue;
    seen.add(session.userId);
    const user = await accounts.find(session.userId);
    if (!user || user.disabledAt !== null) continue;
    const name = user.name ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || user.email);
    out.push({ sessionId: session.id, name, email: user.email });
  }
  return out;
}
