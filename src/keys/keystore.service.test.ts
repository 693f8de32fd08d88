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
      { algs: ['ES256'], rsaModulusLength: 2048, retiredPublishSeconds: 7200, refreshIntervalSeconds: 30 },
    );
    await ks.ensure();
    const before = ks.publicKeys().map((k) => k.kid);
    expect(before.length).toBe(2);
    const signingBefore = ks.signer('ES256').kid;
    const [r] = await ks.rotate('ES256');
    expect(before).toContain(r!.active); // the promoted key was already published
    expect(ks.signer('ES256').kid).toBe(r!.active);
    expect(r!.retired).toBe(signingBefore);
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
});
