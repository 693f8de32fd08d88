import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from './authorize-request.js';
import { InteractionInvalid, InteractionSealer } from './interaction.js';

const request: AuthorizationRequest = {
  clientId: 'app',
  redirectUri: 'https://app.example.com/cb',
  responseMode: 'query',
  state: 's',
  scopes: ['openid'],
  nonce: 'n',
  codeChallenge: 'c'.repeat(43),
  prompt: [],
  maxAge: undefined,
  loginHint: undefined,
  resource: undefined,
  claims: null,
};

describe('InteractionSealer', () => {
  const key = randomBytes(32);
  const sealer = new InteractionSealer(key);
  const interaction = sealer.start('app', request, null, 1000);
  const sealed = sealer.seal(interaction);

  it('round-trips with the right id, cookie and CSRF token before expiry', () => {
    expect(sealer.open(interaction.id, sealed, interaction.csrf, 999)).toEqual(interaction);
    expect(sealed).not.toContain('app.example.com');
  });

  it('refuses a wrong CSRF token, a missing cookie, expiry, another id, another key and any changed byte', () => {
    refuse(() => sealer.open(interaction.id, sealed, 'x'.repeat(43), 999));
    refuse(() => sealer.open(interaction.id, sealed, undefined, 999));
    refuse(() => sealer.open(interaction.id, undefined, interaction.csrf, 999));
    refuse(() => sealer.open(interaction.id, sealed, interaction.csrf, 1000));
    const other = sealer.start('app', request, null, 1000);
    refuse(() => sealer.open(other.id, sealed, interaction.csrf, 999));
    refuse(() => new InteractionSealer(randomBytes(32)).open(interaction.id, sealed, interaction.csrf, 999));
    for (let i = 3; i < sealed.length; i += 7) {
      const c = sealed[i] === 'A' ? 'B' : 'A';
      const changed = sealed.slice(0, i) + c + sealed.slice(i + 1);
      if (changed !== sealed && sealed[i] !== '.') refuse(() => sealer.open(interaction.id, changed, interaction.csrf, 999));
    }
  });
});

function refuse(fn: () => unknown) {
  expect(fn).toThrow(InteractionInvalid);
}
