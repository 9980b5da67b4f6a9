import { Redis } from 'ioredis';
import { StorageUnavailableError } from '../../core/errors.js';
import type { ThrottleState, ThrottleStore } from '../../core/storage.js';
import { MemoryThrottleStore } from '../memory/throttle.js';

// One round trip, atomic: count the hit and open the window on the first one.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

/** Connection and command time limits: an unreachable or stuck Redis never hangs a request. */
const TIMEOUT_MS = 2000;

/** Problems are reported through `onError` at most this often. */
export const REDIS_ERROR_REPORT_INTERVAL_MS = 10_000;

export interface RedisThrottleOptions {
  /** Key prefix (tests use a random one to keep runs apart). */
  prefix?: string;
  /**
   * Called with a Redis failure (connection refused, timeout, …), at most once every
   * 10 seconds. The error carries no secret (never the URL).
   */
  onError?: (error: unknown) => void;
  /**
   * Where hits are counted while Redis is unreachable. Default: a per-process
   * MemoryThrottleStore, so throttling goes on (each process counting on its own, as
   * without Redis) and an outage of this hot state neither takes the token endpoint
   * down nor switches the limits off. `false`: report StorageUnavailableError (503).
   */
  fallback?: ThrottleStore | false;
}

/**
 * Throttle counters in Redis, shared by every server process of a cluster, so an
 * attacker cannot multiply the limits by spreading attempts over nodes. Keys expire by
 * themselves with their window. Commands are never queued while disconnected, so an
 * outage is noticed at once, never as a hang: the store then counts in its `fallback`
 * (per process, in memory, by default) and reports the problem through `onError`. When
 * Redis answers again it is used again; what the fallback counted meanwhile stays local
 * (it is not merged into Redis).
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly fallback: ThrottleStore | undefined;
  private readonly onError: ((error: unknown) => void) | undefined;
  private lastReportAt = -Infinity;
  /** A command failed and no connection has been ready since: fail at once, do not wait. */
  private down = false;

  constructor(url: string, options: RedisThrottleOptions = {}) {
    this.prefix = options.prefix ?? 'gatehouse:throttle:';
    this.fallback = options.fallback === false ? undefined : (options.fallback ?? new MemoryThrottleStore());
    this.onError = options.onError;
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: TIMEOUT_MS,
      commandTimeout: TIMEOUT_MS,
      // A hit that failed was counted in the fallback: never resend it on reconnect.
      autoResendUnfulfilledCommands: false,
    });
    this.redis.on('error', (error: unknown) => this.report(error));
    this.redis.on('ready', () => {
      this.down = false;
    });
  }

  async hit(key: string, windowMs: number, now: number): Promise<ThrottleState> {
    try {
      const [count, ttl] = (await this.call(() => this.redis.eval(HIT, 1, this.prefix + key, String(windowMs)))) as [number, number];
      return { count, resetAt: now + (ttl > 0 ? ttl : windowMs) };
    } catch (error) {
      if (this.fallback) return this.fallback.hit(key, windowMs, now);
      throw error;
    }
  }

  async peek(key: string, now: number): Promise<ThrottleState> {
    try {
      const results = await this.call(() => this.redis.multi().get(this.prefix + key).pttl(this.prefix + key).exec());
      const count = Number(results?.[0]?.[1] ?? 0);
      const ttl = Number(results?.[1]?.[1] ?? -2);
      return ttl > 0 ? { count, resetAt: now + ttl } : { count: 0, resetAt: now };
    } catch (error) {
      if (this.fallback) return this.fallback.peek(key, now);
      throw error;
    }
  }

  /**
   * Waits for the first connection. Without a `fallback` an unreachable Redis fails
   * startup (StorageUnavailableError); with one, the problem is reported through
   * `onError` and the store starts counting in the fallback, reconnecting in the background.
   */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    try {
      await this.call(() => this.redis.ping());
    } catch (error) {
      if (!this.fallback) throw error;
    }
  }

  /** Whether Redis answers a PING now (for health checks); never throws. */
  async available(): Promise<boolean> {
    try {
      await this.call(() => this.redis.ping());
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private report(error: unknown): void {
    const now = Date.now();
    if (now - this.lastReportAt < REDIS_ERROR_REPORT_INTERVAL_MS) return;
    this.lastReportAt = now;
    try {
      this.onError?.(error);
    } catch {
      // A failing reporter must not turn into a failing request.
    }
  }

  /** Resolves on the next 'ready'; rejects on a connection error or after the timeout. */
  private connected(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => settle();
      const onError = (error: unknown) => settle(error);
      const timer = setTimeout(() => settle(new Error('redis connection timed out')), TIMEOUT_MS);
      this.redis.once('ready', onReady);
      this.redis.once('error', onError);
    });
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      const status = this.redis.status;
      if (status !== 'ready') {
        if (this.down || (status !== 'connecting' && status !== 'reconnecting' && status !== 'connect')) {
          throw new Error(`redis is unavailable (connection ${status})`);
        }
        await this.connected();
      }
      return await command();
    } catch (error) {
      if (this.redis.status === 'ready' && error instanceof Error && /timed out/i.test(error.message)) {
        // A connection that stops answering without closing (a silent partition) would make
        // every command wait out the timeout: drop it and reconnect in the background,
        // counting in the fallback meanwhile.
        this.redis.disconnect(true);
        this.down = true;
      } else {
        this.down = this.redis.status !== 'ready';
      }
      this.report(error);
      throw new StorageUnavailableError(error);
    }
  }
}
