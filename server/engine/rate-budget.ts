/**
 * Request budgets per (customer, connector), shared by every caller in the process: a token
 * bucket when the connector declares a rate, and a pause when the API said "slow down".
 */
export interface BudgetConfig {
  requestsPerSecond: number;
  burst?: number | undefined;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  pausedUntil: number;
}

export class RateBudgets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor({
    now = Date.now,
    sleep,
  }: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.#now = now;
    this.#sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  #bucket(key: string, config: BudgetConfig | null): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = {
        tokens: config ? (config.burst ?? Math.max(1, Math.ceil(config.requestsPerSecond))) : 0,
        updatedAt: this.#now(),
        pausedUntil: 0,
      };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Waits until a request may be sent under this budget. */
  async acquire(key: string, config: BudgetConfig | null): Promise<void> {
    const bucket = this.#bucket(key, config);
    for (;;) {
      const now = this.#now();
      if (bucket.pausedUntil > now) {
        await this.#sleep(bucket.pausedUntil - now);
        continue;
      }
      if (!config) return;
      const capacity = config.burst ?? Math.max(1, Math.ceil(config.requestsPerSecond));
      bucket.tokens = Math.min(
        capacity,
        bucket.tokens + ((now - bucket.updatedAt) / 1000) * config.requestsPerSecond,
      );
      bucket.updatedAt = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await this.#sleep(((1 - bucket.tokens) / config.requestsPerSecond) * 1000);
    }
  }

  /** Everyone on this budget waits until `untilMs` (the API's Retry-After). */
  pause(key: string, untilMs: number): void {
    const bucket = this.#bucket(key, null);
    bucket.pausedUntil = Math.max(bucket.pausedUntil, untilMs);
  }

  pausedUntil(key: string): number {
    return this.#buckets.get(key)?.pausedUntil ?? 0;
  }
}
