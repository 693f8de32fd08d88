/**
 * Scheduled signing-key rotation (`security.keyRotation`). Every node runs the same check; the rules are the
 * keystore's own `rotate` (a next key signs only after it has been published for the JWKS cache lifetime plus
 * the refresh interval; the retired key stays published for the longest token lifetime), never forced. Exactly
 * one node performs each rotation: the keystore promotes with a conditional update inside a transaction, so
 * when two nodes decide at the same moment one commits and the other's transaction rolls back; the loser sees
 * the new active key at its next check and does nothing.
 */
import type { AuditContext } from '../audit/audit-event.js';
import type { Clock } from '../oauth/clock.js';
import type { Keystore, SigningAlg } from './keystore.service.js';

export const SCHEDULE_CONTEXT: AuditContext = { actor: { type: 'system', id: 'key-rotation' } };

export interface RotationLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface KeyRotationDeps {
  keystore: Pick<Keystore, 'list' | 'rotate' | 'minimumPublishedSeconds'>;
  clock: Clock;
  /** Seconds between rotations of one alg. */
  interval: number;
  algs: readonly SigningAlg[];
}

export class KeyRotationSchedule {
  private readonly deps: KeyRotationDeps;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Rotations this node performed (the /metrics counter). */
  rotations = 0;

  constructor(deps: KeyRotationDeps) {
    this.deps = deps;
  }

  /** How often a node checks: often enough to rotate within a tenth of the interval, at most once a minute. */
  get checkEverySeconds(): number {
    return Math.max(1, Math.min(60, Math.floor(this.deps.interval / 10)));
  }

  /** The algs due now: the active key has signed for `interval` and the next key has been published long enough. */
  async due(): Promise<SigningAlg[]> {
    const keys = await this.deps.keystore.list();
    const now = this.deps.clock.now();
    return this.deps.algs.filter((alg) => {
      const active = keys.find((k) => k.alg === alg && k.state === 'active');
      const next = keys.find((k) => k.alg === alg && k.state === 'next');
      if (!active || !next) return false;
      return now - (active.activatedAt ?? active.createdAt) >= this.deps.interval && now - next.createdAt >= this.deps.keystore.minimumPublishedSeconds;
    });
  }

  /** One check: rotates each due alg. Returns the algs this node rotated (another node's win is not an error). */
  async tick(log?: RotationLog): Promise<SigningAlg[]> {
    const rotated: SigningAlg[] = [];
    for (const alg of await this.due()) {
      try {
        const [r] = await this.deps.keystore.rotate(alg, {}, SCHEDULE_CONTEXT);
        rotated.push(alg);
        this.rotations += 1;
        log?.info({ alg, active: r?.active, next: r?.next, retired: r?.retired }, 'signing key rotated on schedule');
      } catch (err) {
        // Another node rotated this alg between our read and our write: its transaction won, ours rolled back.
        const raced = (await this.due()).includes(alg) === false;
        if (!raced) log?.error({ alg, err }, 'scheduled key rotation failed');
      }
    }
    return rotated;
  }

  start(log: RotationLog): void {
    if (this.timer || this.deps.interval <= 0 || this.deps.algs.length === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick(log)
        .catch((err: unknown) => log.error({ err }, 'scheduled key rotation failed'))
        .finally(() => (this.running = undefined));
    }, this.checkEverySeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
