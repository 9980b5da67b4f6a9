import { Redis } from 'ioredis';
import { StorageUnavailableError } from '../../core/errors.js';
import type { ThrottleState, ThrottleStore } from '../../core/storage.js';

// One round trip, atomic: count the hit and open the window on the first one.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

/**
 * Throttle counters in Redis, shared by every server process of a cluster, so an
 * attacker cannot multiply the limits by spreading attempts over nodes. Keys expire by
 * themselves with their window. A Redis outage surfaces as StorageUnavailableError
 * (503 `temporarily_unavailable`), never as a hang: commands are not queued while
 * disconnected.
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'gatehouse:throttle:',
  ) {
    this.redis = new Redis(url, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    // Connection errors are reported through failed commands; keep them off the process.
    this.redis.on('error', () => {});
  }

  async hit(key: string, windowMs: number, now: number): Promise<ThrottleState> {
    const [count, ttl] = (await this.call(() => this.redis.eval(HIT, 1, this.prefix + key, String(windowMs)))) as [number, number];
    return { count, resetAt: now + (ttl > 0 ? ttl : windowMs) };
  }

  async peek(key: string, now: number): Promise<ThrottleState> {
    const results = await this.call(() => this.redis.multi().get(this.prefix + key).pttl(this.prefix + key).exec());
    const count = Number(results?.[0]?.[1] ?? 0);
    const ttl = Number(results?.[1]?.[1] ?? -2);
    return ttl > 0 ? { count, resetAt: now + ttl } : { count: 0, resetAt: now };
  }

  /** Waits for the first connection (so startup fails fast on a wrong URL). */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private connected(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error('redis connection timed out'));
      }, 2000);
      this.redis.once('ready', onReady);
    });
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === 'connecting' || this.redis.status === 'reconnecting') await this.connected();
      return await command();
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
  }
}
