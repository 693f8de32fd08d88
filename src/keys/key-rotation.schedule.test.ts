import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../oauth/secret-box.js';
import { createStores } from '../storage/stores.js';
import { testDatabase, type TestDb } from '../../test/helpers/database.js';
import { Keystore } from './keystore.service.js';
import { KeyRotationSchedule } from './key-rotation.schedule.js';

const DAY = 86_400;

describe('scheduled key rotation (fake clock, two nodes on one database)', () => {
  let t: TestDb;
  afterEach(async () => t?.cleanup());

  it('rotates once per interval, never before the next key was published for the JWKS lifetime, one node per step', async () => {
    t = await testDatabase('sqlite');
    let now = 1_800_000_000;
    const clock = { now: () => now };
    const box = createSecretBox(randomBytes(32));
    const node = () => {
      const keystore = new Keystore(
        { store: createStores(t.db).keys, box, clock },
        { algs: ['ES256'], rsaModulusLength: 2048, retiredPublishSeconds: 2 * DAY, refreshIntervalSeconds: 30, jwksCacheSeconds: 300 },
      );
      return { keystore, schedule: new KeyRotationSchedule({ keystore, clock, interval: 7 * DAY, algs: ['ES256'] }) };
    };
    const a = node();
    const b = node();
    await a.keystore.ensure();
    await b.keystore.refresh();
    const first = a.keystore.signer('ES256').kid;
    expect(await a.schedule.tick()).toEqual([]); // a fresh active key
    now += 7 * DAY - 1;
    expect(await a.schedule.tick()).toEqual([]);
    now += 1;
    // Both nodes decide at the same moment: exactly one rotation happens.
    const [ra, rb] = await Promise.all([a.schedule.tick(), b.schedule.tick()]);
    expect([...ra, ...rb]).toEqual(['ES256']);
    const keys = await a.keystore.list();
    expect(keys.filter((k) => k.state === 'active')).toHaveLength(1);
    expect(keys.find((k) => k.kid === first)!.state).toBe('retired');
    await Promise.all([a.keystore.refresh(), b.keystore.refresh()]);
    const second = a.keystore.signer('ES256').kid;
    expect(b.keystore.signer('ES256').kid).toBe(second);
    // The promoted key had been published since the start; the new next key is published before it can sign.
    const nextKey = keys.find((k) => k.state === 'next')!;
    expect(a.keystore.publicKeys().map((k) => k.kid)).toEqual(expect.arrayContaining([first, second, nextKey.kid]));
    // A week later the retired key (published 2 days) is gone from the JWKS and pruned.
    now += 7 * DAY;
    await a.keystore.refresh();
    expect(a.keystore.publicKeys().map((k) => k.kid)).not.toContain(first);
    // The next key is old enough now: the second step rotates; a tick right after does nothing.
    expect(await b.schedule.tick()).toEqual(['ES256']);
    expect(await a.schedule.tick()).toEqual([]);
    expect(await a.keystore.prune()).toBe(1);
    expect(a.schedule.rotations + b.schedule.rotations).toBe(2);
  });

  it('waits for the next key when the interval is shorter than the publication age', async () => {
    t = await testDatabase('sqlite');
    let now = 1_800_000_000;
    const clock = { now: () => now };
    const keystore = new Keystore(
      { store: createStores(t.db).keys, box: createSecretBox(randomBytes(32)), clock },
      { algs: ['ES256'], rsaModulusLength: 2048, retiredPublishSeconds: 3600, refreshIntervalSeconds: 30, jwksCacheSeconds: 300 },
    );
    const schedule = new KeyRotationSchedule({ keystore, clock, interval: 60, algs: ['ES256'] });
    await keystore.ensure();
    now += 60;
    expect(await schedule.tick()).toEqual([]); // the next key is 60 s old, 330 s are needed
    now += 270;
    expect(await schedule.tick()).toEqual(['ES256']);
    now += 60;
    expect(await schedule.tick()).toEqual([]); // its successor is brand new
  });
});
