/**
 * Self-service sign-up for `prompt=create` (Initiating User Registration via OpenID Connect 1.0), on only
 * with `signup.enabled`. The account is made through the account service (argon2id, email checks, audit
 * event), then the authorization continues as after a login in the same interaction.
 *
 * Account enumeration: a sign-up that continues the authorization at once cannot hide that an email is taken
 * (a new email signs in, a taken one cannot) without an email round trip, which the spec does not require and
 * Gatehouse does not have. So:
 * - a taken email whose password is right signs that person in (they already have the account: no error);
 * - a taken email with another password gets one neutral message that also fits a typing mistake, and costs
 *   one argon2id verification, as a creation costs one hash, so timing does not tell the two apart;
 * - every sign-up attempt is counted by the login throttle (per IP, per account) like a failed login, so
 *   probing is as slow as password guessing, and mass account creation from one address is bounded.
 */
import type { AccountService } from '../accounts/account.service.js';
import type { User } from '../accounts/user.store.js';
import type { AuditContext } from '../audit/audit-event.js';
import { Conflict, InvalidRequest } from '../oauth/errors.js';

/** `taken`: the email has an account and the password was not its own (recorded like a failed sign-in). */
export type SignupResult = { kind: 'signed-up' | 'signed-in'; user: User } | { kind: 'refused'; message: string; taken?: true };

export const SIGNUP_REFUSED = 'An account could not be created with these details. If you already have an account, sign in instead.';
const MAX_NAME = 200;

export class SignupService {
  private readonly accounts: AccountService;
  readonly enabled: boolean;

  constructor(accounts: AccountService, enabled: boolean) {
    this.accounts = accounts;
    this.enabled = enabled;
  }

  async signUp(input: { email: string; name: string; password: string }, ctx?: AuditContext): Promise<SignupResult> {
    const name = input.name.trim();
    if (!name || name.length > MAX_NAME || /\p{Cc}/u.test(name)) return { kind: 'refused', message: `Enter your name (at most ${MAX_NAME} characters).` };
    try {
      return { kind: 'signed-up', user: await this.accounts.create({ email: input.email, name, password: input.password }, ctx) };
    } catch (err) {
      if (err instanceof InvalidRequest) return { kind: 'refused', message: describe(err.description) };
      if (!(err instanceof Conflict)) throw err;
    }
    const existing = await this.accounts.verifyPassword(input.email, input.password);
    return existing ? { kind: 'signed-in', user: existing } : { kind: 'refused', message: SIGNUP_REFUSED, taken: true };
  }
}

/** The account service's field errors ("email: must be …") as a sentence for the page. */
function describe(description: string): string {
  if (description.startsWith('email')) return 'Enter a valid email address.';
  if (description.startsWith('password')) return description.replace(/^password: /, 'The password ');
  return SIGNUP_REFUSED;
}
