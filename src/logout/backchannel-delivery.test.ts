import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../audit/audit-event.js';
import { BackchannelDelivery, type DeliveryOptions } from './backchannel-delivery.js';

const job = (clientId: string) => ({ clientId, uri: `https://${clientId}.example/bc`, logoutToken: 'token' });

function delivery(post: DeliveryOptions['post'], extra: Partial<DeliveryOptions> = {}) {
  const audited: AuditEntry[] = [];
  const d = new BackchannelDelivery({ post, audit: async (e) => void audited.push(e), maxPending: 10, concurrency: 2, attempts: 3, backoffMs: 5, ...extra });
  const settled = async (n: number) => {
    for (let i = 0; i < 200 && audited.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    return audited;
  };
  return { d, settled };
}

describe('BackchannelDelivery', () => {
  it('delivers once on 200 and records the success', async () => {
    const calls: string[] = [];
    const { d, settled } = delivery(async (url, form) => (calls.push(`${url} ${form['logout_token']}`), 200));
    d.enqueue(job('a'));
    const [e] = await settled(1);
    expect(calls).toEqual(['https://a.example/bc token']);
    expect(e).toMatchObject({ action: 'logout.backchannel', outcome: 'success', target: { type: 'client', id: 'a' }, detail: { attempts: 1, status: 200 } });
  });

  it('retries transient failures a bounded number of times, then records the failure', async () => {
    let n = 0;
    const { d, settled } = delivery(async () => {
      n++;
      throw new Error('fetch failed: ECONNREFUSED');
    });
    d.enqueue(job('b'));
    const [e] = await settled(1);
    expect(n).toBe(3);
    expect(e).toMatchObject({ outcome: 'failure', detail: { attempts: 3, reason: 'fetch failed: ECONNREFUSED' } });
  });

  it('does not retry a 400 (the receiver refused the token)', async () => {
    let n = 0;
    const { d, settled } = delivery(async () => (n++, 400));
    d.enqueue(job('c'));
    const [e] = await settled(1);
    expect(n).toBe(1);
    expect(e).toMatchObject({ outcome: 'failure', detail: { attempts: 1, status: 400 } });
  });

  it('succeeds on the retry after a 503', async () => {
    const answers = [503, 200];
    const { d, settled } = delivery(async () => answers.shift()!);
    d.enqueue(job('d'));
    const [e] = await settled(1);
    expect(e).toMatchObject({ outcome: 'success', detail: { attempts: 2, status: 200 } });
  });

  it('refuses jobs beyond the queue bound, recorded as failures, without calling anyone', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { d, settled } = delivery(async () => (await gate, 200), { maxPending: 2, concurrency: 1 });
    d.enqueue(job('x'));
    d.enqueue(job('y'));
    d.enqueue(job('z'));
    const [refused] = await settled(1);
    expect(refused).toMatchObject({ outcome: 'failure', target: { id: 'z' }, detail: { reason: 'delivery queue full', attempts: 0 } });
    release();
    expect((await settled(3)).filter((e) => e.outcome === 'success')).toHaveLength(2);
    d.stop();
  });
});
