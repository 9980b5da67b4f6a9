// Single-use credentials for the `grants` scenario: a pool of ready token request bodies per
// grant, filled by bench/servers/grants-seeder.ts (a child process on the server's database)
// before each warm-up and round, so that seeding is never timed and never competes with the
// server under load. Each body is sent once.
import type { ChildProcess } from 'node:child_process';
import type { SeedReply, SeedRequest } from '../servers/grants-seeder.js';
import { spawnScript, stopChild } from './processes.js';

export type CredentialKind = SeedRequest['kind'];

/** Talks to one grants-seeder process, one request at a time. */
export class Seeder {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: ChildProcess) {}

  static async start(env: { dir: string; clientId: string; userId: string; databaseUrl?: string }): Promise<Seeder> {
    const child = spawnScript(
      'servers/grants-seeder.ts',
      { BENCH_DIR: env.dir, BENCH_CLIENT_ID: env.clientId, BENCH_USER_ID: env.userId, ...(env.databaseUrl ? { BENCH_DATABASE_URL: env.databaseUrl } : {}) },
      ['ignore', 'inherit', 'inherit', 'ipc'],
    );
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`grants-seeder.ts exited with ${code} before it was ready`)));
    });
    return new Seeder(child);
  }

  seed(kind: CredentialKind, count: number): Promise<SeedReply> {
    const run = () =>
      new Promise<SeedReply>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`grants-seeder.ts exited with ${code}`));
        this.child.once('exit', onExit);
        this.child.once('message', (reply: SeedReply) => {
          this.child.off('exit', onExit);
          resolve(reply);
        });
        this.child.send({ kind, count } satisfies SeedRequest);
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    await stopChild(this.child);
  }
}

export interface PoolStats {
  seeded: number;
  seedingMs: number;
  /** Bodies handed out (each one request). */
  used: number;
  /** Requests that found the pool empty (sent with an unusable credential: a non-2xx answer). */
  exhausted: number;
  /** Bodies dropped unused because they would expire before the round ends. */
  dropped: number;
}

/**
 * Ready bodies of one grant. Before each warm-up or round, `prepare` tops the pool up to
 * what `seconds` of load can use: 1.5 × the fastest rate seen so far, for this grant or
 * given by `expect` (an upper bound: the client_credentials rate), else the generous
 * `initialRate`; plus two per connection. A cold warm-up is no guide to the rounds (2-3
 * times slower with a 1 s warm-up), hence the upper bound.
 */
export class CredentialPool {
  private bodies: string[] = [];
  private next = 0;
  private expiresAt = Infinity;
  private fastest = 0;
  private expected = 0;
  readonly stats: PoolStats = { seeded: 0, seedingMs: 0, used: 0, exhausted: 0, dropped: 0 };

  constructor(
    private readonly seeder: Seeder,
    readonly kind: CredentialKind,
    private readonly options: { initialRate: number; connections: number; exhaustedBody: string },
  ) {}

  /** The next unused body; when none is left, a body whose credential the server refuses. */
  take(): string {
    if (this.next < this.bodies.length) {
      this.stats.used++;
      return this.bodies[this.next++]!;
    }
    this.stats.exhausted++;
    return this.options.exhaustedBody;
  }

  observe(requestsPerSecond: number): void {
    this.fastest = Math.max(this.fastest, requestsPerSecond);
  }

  /** An upper bound of this grant's rate (the client_credentials rate, measured just before). */
  expect(requestsPerSecond: number): void {
    this.expected = Math.max(this.expected, requestsPerSecond);
  }

  async prepare(seconds: number): Promise<void> {
    const fastest = Math.max(this.fastest, this.expected);
    const rate = fastest > 0 ? fastest * 1.5 : this.options.initialRate;
    const needed = Math.ceil(rate * seconds) + 2 * this.options.connections;
    // Credentials that would expire during the round (codes live 10 minutes) are dropped.
    if (this.expiresAt < Date.now() + (seconds + 60) * 1000) {
      this.stats.dropped += this.bodies.length - this.next;
      this.bodies = [];
      this.next = 0;
    }
    const left = this.bodies.length - this.next;
    if (left >= needed) return;
    const reply = await this.seeder.seed(this.kind, needed - left);
    this.bodies = [...this.bodies.slice(this.next), ...reply.bodies];
    this.next = 0;
    this.expiresAt = Math.min(left > 0 ? this.expiresAt : Infinity, reply.expiresAt);
    this.stats.seeded += reply.bodies.length;
    this.stats.seedingMs += reply.ms;
    console.log(`  seeded ${reply.bodies.length} ${this.kind === 'code' ? 'authorization codes' : 'refresh tokens'} in ${(reply.ms / 1000).toFixed(1)} s (${Math.round(reply.bodies.length / (reply.ms / 1000))}/s)`);
  }
}
