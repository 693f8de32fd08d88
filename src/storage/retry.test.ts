import { describe, expect, it } from 'vitest';
import { isRetryableConflict, withConflictRetry } from './retry.js';

const pgError = (code: string) => Object.assign(new Error(code), { code });

describe('withConflictRetry', () => {
  it('runs a transaction again after a deadlock or serialization failure', async () => {
    let runs = 0;
    const value = await withConflictRetry(async () => {
      runs++;
      if (runs === 1) throw pgError('40P01');
      if (runs === 2) throw pgError('40001');
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(runs).toBe(3);
  });

  it('gives up after the bounded number of retries and rethrows the conflict', async () => {
    let runs = 0;
    await expect(withConflictRetry(async () => { runs++; throw pgError('40P01'); }, { retries: 3, baseDelayMs: 1 })).rejects.toThrow('40P01');
    expect(runs).toBe(4);
  });

  it('never retries any other error', async () => {
    let runs = 0;
    await expect(withConflictRetry(async () => { runs++; throw pgError('23505'); })).rejects.toThrow('23505');
    expect(runs).toBe(1);
    expect(isRetryableConflict(new Error('x'))).toBe(false);
    expect(isRetryableConflict(null)).toBe(false);
  });
});
