/** Issue 10, item 9: a wrong secret costs one argon2id verification per live secret, never two. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../oauth/bounded-queue.js';
import { TemporarilyUnavailable } from '../oauth/errors.js';
import { ClientAuthenticator } from './client-auth.js';
import { SecretHasher } from './client-secret.js';
import type { Client, ClientSecret } from './client.js';
import type { ClientService } from './client.service.js';
import type { ClientStore } from './client.store.js';

class CountingQueue extends BoundedQueue {
  runs = 0;
  override run<T>(task: () => Promise<T>, key?: string): Promise<T> {
    this.runs++;
    return super.run(task, key);
  }
}

async function setup(secrets: string[]) {
  const queue = new CountingQueue({ concurrency: 1, maxWaiting: 4, perKey: 2 });
  const hasher = new SecretHasher(randomBytes(32), queue);
  const rows: ClientSecret[] = await Promise.all(
    secrets.map(async (s, i) => ({ id: `s${i}`, clientId: 'c1', hash: await hasher.hash(s, 'argon2id'), kind: 'argon2id' as const, createdAt: 0, expiresAt: null })),
  );
  const client = { clientId: 'c1', tokenEndpointAuthMethod: 'client_secret_post' } as Client;
  let reads = 0;
  const store = { secrets: async () => (reads++, rows), forget: () => {} } as unknown as ClientStore;
  const auth = new ClientAuthenticator({
    clients: { find: async () => client } as unknown as ClientService,
    store,
    tokens: { useAssertionJti: async () => true },
    hasher,
    clock: { now: () => 1_800_000_000 },
    issuer: 'https://issuer.example',
    // Secrets only: nothing here fetches a jwks_uri.
    outbound: { fetchJson: async () => { throw new Error('no outbound fetch in this test'); } },
  });
  const present = (secret: string) => auth.authenticate({ authorization: undefined, params: { client_id: 'c1', client_secret: secret } }, 'https://issuer.example/oauth/token');
  return { queue, present, reads: () => reads };
}

describe('client secret verification cost', () => {
  it('a wrong secret is verified once against one live secret, although the database is read again', async () => {
    const t = await setup(['operator secret one']);
    await expect(t.present('wrong')).rejects.toMatchObject({ error: 'invalid_client' });
    expect(t.reads()).toBe(2);
    expect(t.queue.runs).toBe(1);
  });

  it('with two live secrets (rotation grace) a wrong one costs two verifications, not four', async () => {
    const t = await setup(['operator secret one', 'operator secret two']);
    await expect(t.present('wrong')).rejects.toMatchObject({ error: 'invalid_client' });
    expect(t.queue.runs).toBe(2);
    await expect(t.present('operator secret two')).resolves.toMatchObject({ clientId: 'c1' });
  });

  it('one client past its share of the queue is refused with 503 and Retry-After', async () => {
    const t = await setup(['operator secret one']);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => t.present(`wrong ${i}`)));
    const busy = results.filter((r) => r.status === 'rejected' && r.reason instanceof TemporarilyUnavailable);
    expect(busy.length).toBe(4);
    const err = (busy[0] as PromiseRejectedResult).reason as TemporarilyUnavailable;
    expect([err.status, err.headers['retry-after']]).toEqual([503, '1']);
  });
});
