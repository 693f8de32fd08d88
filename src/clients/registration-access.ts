/**
 * Who may use the registration endpoints (RFC 7591 §3, RFC 7592 §2), under the failed-client-authentication
 * limits of the token endpoint: initial access tokens count per caller address, registration access tokens per
 * (client_id, address), per address and per client_id, in the same counters as the client's other credentials.
 * The tokens are 256-bit values looked up by hash, so a check is cheap and a success is never counted.
 */
import { withFailureLimit, type LoginThrottle } from '../accounts/login-throttle.js';
import { TooManyRequests } from '../oauth/errors.js';
import type { Client } from './client.js';
import type { ClientService } from './client.service.js';

const limited = (retryAfter: number) => new TooManyRequests(`too many failed registration requests; retry after ${retryAfter} s`, retryAfter);

export class RegistrationAccess {
  private readonly clients: Pick<ClientService, 'mayRegister' | 'findByRegistrationToken'>;
  private readonly throttle: LoginThrottle | undefined;

  constructor(deps: { clients: Pick<ClientService, 'mayRegister' | 'findByRegistrationToken'>; throttle?: LoginThrottle | undefined }) {
    this.clients = deps.clients;
    this.throttle = deps.throttle;
  }

  /** RFC 7591 §3: open registration, or a valid initial access token. Throws too_many_requests when limited. */
  async mayRegister(token: string | undefined, ip: string): Promise<boolean> {
    // A name no client_id can take (client ids are [A-Za-z0-9._~-]), so these counters never mix with a client's.
    return withFailureLimit(this.throttle, { account: 'initial access token', ip }, () => this.clients.mayRegister(token), Boolean, limited);
  }

  /** RFC 7592 §2: the client the registration access token belongs to, when it is the one named in the path. */
  async owner(token: string | undefined, clientId: string, ip: string): Promise<Client | undefined> {
    const find = async () => {
      const client = token ? await this.clients.findByRegistrationToken(token) : undefined;
      return client?.clientId === clientId ? client : undefined;
    };
    return withFailureLimit(this.throttle, { account: clientId, ip }, find, (c) => c !== undefined, limited);
  }
}
