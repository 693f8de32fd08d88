import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../oauth/secret-box.js';
import { createStores } from '../storage/stores.js';
import { testDatabase, type TestDb } from '../../test/helpers/database.js';
import { Keystore } from './keystore.service.js';

describe('keystore rotation', () => {
  let t: TestDb;
  afterEach(async () => t?.cleanup());

  it('publishes the next key before it signs and keeps the retired key published', async () => {
    t = await testDatabase('sqlite');
    let now = 1_800_000_000;
    const box = createSecretBox(randomBytes(32));
    const ks = new Keystore(
      { store: createStores(t.db).keys, box, clock: { now: () => now } },
      { algs: ['ES256'], rsaModulusLength: 2048, retiredPublishSeconds: 7200, refreshIntervalSeconds: 30, jwksCacheSeconds: 300 },
    );
    await ks.ensure();
    const before = ks.publicKeys().map((k) => k.kid);
    expect(before.length).toBe(2);
    const signingBefore = ks.signer('ES256').kid;
    // The next key is published, but relying parties may hold a JWKS without it for 300 s (+30 s refresh).
    await expect(ks.rotate('ES256')).rejects.toThrow(/published 0s ago.*wait 330s, or pass --force/);
    now += 329;
    await expect(ks.rotate('ES256')).rejects.toThrow(/wait 1s/);
    now += 1;
    const [r] = await ks.rotate('ES256');
    expect(before).toContain(r!.active); // the promoted key was already published
    expect(ks.signer('ES256').kid).toBe(r!.active);
    expect(r!.retired).toBe(signingBefore);
    // Two rotations in a row: the second would promote a key published just now.
    await expect(ks.rotate('ES256')).rejects.toThrow(/published 0s ago/);
    const after = ks.publicKeys().map((k) => k.kid);
    expect(after).toContain(signingBefore);
    expect(after.length).toBe(3);
    now += 7201;
    await ks.refresh();
    expect(ks.publicKeys().map((k) => k.kid)).not.toContain(signingBefore);
    expect(await ks.prune()).toBe(1);
    // A second ensure creates nothing new.
    await ks.ensure();
    expect((await ks.list()).length).toBe(2);
  });

  it('--force promotes a young next key; the retired key stays published for the longest token lifetime', async () => {
    t = await testDatabase('sqlite');
    const now = 1_800_000_000;
    const box = createSecretBox(randomBytes(32));
    const ks = new Keystore(
      { store: createStores(t.db).keys, box, clock: { now: () => now }, longestTokenLifetime: async () => 86_400 },
      { algs: ['ES256'], rsaModulusLength: 2048, retiredPublishSeconds: 7200, refreshIntervalSeconds: 30, jwksCacheSeconds: 300 },
    );
    await ks.ensure();
    const [r] = await ks.rotate('ES256', { force: true });
    // A client's one-day ID tokens outlive the server-wide floor of 7200 s: 86400 + 30 + 300.
    expect(r!.retiredPublishedUntil).toBe(now + 86_730);
    expect((await ks.list()).find((k) => k.kid === r!.retired)!.publishUntil).toBe(now + 86_730);
  });
});
