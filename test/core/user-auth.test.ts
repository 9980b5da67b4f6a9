/**
 * Login checks (src/core/user-auth.ts): one answer for unknown users and wrong
 * passwords, throttling per username and per address through the ThrottleStore, and
 * disabled users.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { configFromEnv, loadConfig } from '../../packages/server/src/core/config.js';
import { hashPassword } from '../../packages/server/src/core/password.js';
import type { ThrottleState, ThrottleStore, UserStore } from '../../packages/server/src/core/storage.js';
import type { UserWithPassword } from '../../packages/server/src/core/types.js';
import type { AuditInput } from '../../packages/server/src/core/audit.js';
import { authenticateUser, LoginError, type LoginAttempt, type UserAuthDeps } from '../../packages/server/src/core/user-auth.js';
import { normalizeUsername } from '../../packages/server/src/core/username.js';
import { MemoryThrottleStore } from '../../packages/server/src/store/memory/throttle.js';

const T0 = Date.UTC(2026, 0, 15, 9, 30);
const PASSWORD = 'correct horse battery staple';
const CONFIG = { throttleWindow: 60, loginMaxFailuresPerUser: 5, loginMaxFailuresPerAddress: 20 };

let counter = 0;
/** A fresh address per test, so tests do not share the per-address counters. */
const freshIp = () => `192.0.2.${++counter}`;

/** A ThrottleStore that records every hit. */
class RecordingThrottle implements ThrottleStore {
  readonly hits: string[] = [];
  private readonly inner = new MemoryThrottleStore();
  hit(key: string, windowMs: number, now: number): Promise<ThrottleState> {
    this.hits.push(key);
    return this.inner.hit(key, windowMs, now);
  }
  peek(key: string, now: number): Promise<ThrottleState> {
    return this.inner.peek(key, now);
  }
}

/** An in-memory UserStore lookup (case-insensitive, as the contract says) that counts lookups. */
class FakeUsers implements Pick<UserStore, 'findUserByUsername'> {
  readonly lookups: string[] = [];
  private readonly users = new Map<string, UserWithPassword>();
  add(user: UserWithPassword): void {
    this.users.set(normalizeUsername(user.username), user);
  }
  async findUserByUsername(username: string): Promise<UserWithPassword | undefined> {
    this.lookups.push(username);
    const user = this.users.get(normalizeUsername(username));
    return user && structuredClone(user);
  }
}

function makeUser(username: string, passwordHash: string, overrides: Partial<UserWithPassword> = {}): UserWithPassword {
  return {
    id: `id-${username}`,
    username,
    disabled: false,
    tenants: [
      { id: 't-acme', slug: 'acme' },
      { id: 't-globex', slug: 'globex' },
    ],
    revocationEpoch: 0,
    createdAt: T0,
    updatedAt: T0,
    passwordHash,
    ...overrides,
  };
}

/** Runs an attempt; resolves to 'ok' or the LoginError (anything else fails the test). */
async function attempt(input: LoginAttempt, deps: UserAuthDeps, now: number): Promise<'ok' | LoginError> {
  try {
    await authenticateUser(input, deps, now);
    return 'ok';
  } catch (error) {
    if (error instanceof LoginError) return error;
    throw error;
  }
}

function assertInvalid(outcome: 'ok' | LoginError, what = ''): void {
  assert.ok(outcome instanceof LoginError, `${what}: expected a LoginError`);
  assert.equal(outcome.code, 'invalid_credentials', `${what}: ${outcome.message}`);
  assert.equal(outcome.message, 'incorrect username or password');
  assert.equal(outcome.retryAfter, undefined);
}

function assertThrottled(outcome: 'ok' | LoginError, retryAfter: number, what = ''): void {
  assert.ok(outcome instanceof LoginError, `${what}: expected a LoginError`);
  assert.equal(outcome.code, 'throttled', `${what}: ${outcome.message}`);
  assert.equal(outcome.retryAfter, retryAfter, what);
  assert.match(outcome.message, new RegExp(`try again in ${retryAfter} seconds`));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('authenticateUser', () => {
  let hash: string;
  let users: FakeUsers;
  let throttle: RecordingThrottle;
  let deps: UserAuthDeps;
  let recorded: AuditInput[];

  before(async () => {
    hash = await hashPassword(PASSWORD);
  });

  /** A fresh store and throttle with `names` as users (all with PASSWORD). */
  function setUp(names: string[], extra: UserWithPassword[] = []): void {
    users = new FakeUsers();
    for (const name of names) users.add(makeUser(name, hash));
    for (const user of extra) users.add(user);
    throttle = new RecordingThrottle();
    recorded = [];
    deps = { users, throttle, config: CONFIG, audit: { record: async (event) => void recorded.push(event) } };
  }

  it('the default limits are 5 failures per username and 20 per address over the throttle window, and can be set from the environment', () => {
    const config = loadConfig({});
    assert.equal(config.loginMaxFailuresPerUser, 5);
    assert.equal(config.loginMaxFailuresPerAddress, 20);
    assert.equal(config.throttleWindow, 60);
    const fromEnv = loadConfig(configFromEnv({ GATEHOUSE_LOGIN_MAX_FAILURES_PER_USER: '3', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '50' }));
    assert.equal(fromEnv.loginMaxFailuresPerUser, 3);
    assert.equal(fromEnv.loginMaxFailuresPerAddress, 50);
    assert.throws(() => loadConfig({ loginMaxFailuresPerUser: 0 }), /loginMaxFailuresPerUser/);
  });

  it('returns the user with its tenants, without the password hash, and does no throttle work for a correct password', async () => {
    setUp(['Alice']);
    const user = await authenticateUser({ username: 'alice', password: PASSWORD, ip: freshIp() }, deps, T0);
    const { passwordHash: _hash, ...expected } = makeUser('Alice', hash);
    assert.deepEqual(user, expected);
    assert.ok(!('passwordHash' in user));
    assert.deepEqual(throttle.hits, [], 'a success is not counted');
  });

  it('gives an unknown username and a wrong password the same answer, counted the same way', async () => {
    setUp(['Alice']);
    const ip = freshIp();
    const wrong = await attempt({ username: 'Alice', password: 'wrong password!', ip }, deps, T0);
    const unknown = await attempt({ username: 'Mallory', password: PASSWORD, ip }, deps, T0);
    assertInvalid(wrong, 'wrong password');
    assertInvalid(unknown, 'unknown user');
    assert.deepEqual(
      { code: wrong instanceof LoginError && wrong.code, message: wrong instanceof LoginError && wrong.message },
      { code: unknown instanceof LoginError && unknown.code, message: unknown instanceof LoginError && unknown.message },
    );
    assert.deepEqual(throttle.hits, ['login-user:alice', `login-addr:${ip}`, 'login-user:mallory', `login-addr:${ip}`]);
  });

  it('takes as long for an unknown username as for a wrong password (a dummy hash is checked)', async () => {
    setUp(['Alice']);
    const time = async (username: string) => {
      const started = process.hrtime.bigint();
      assertInvalid(await attempt({ username, password: 'wrong password!', ip: freshIp() }, deps, T0));
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      known.push(await time('Alice'));
      unknown.push(await time(`nobody-${round}`));
    }
    const ratio = median(unknown) / median(known);
    assert.ok(median(known) > 5, `checking a password costs a real scrypt (median ${median(known).toFixed(1)} ms)`);
    assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms vs wrong password ${median(known).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
  });

  it('refuses a malformed username like an unknown one, without a lookup, counting the address only', async () => {
    setUp(['Alice']);
    const ip = freshIp();
    for (const username of ['', 'a b', 'x'.repeat(65), 'nul\u0000byte', 'Ålice']) {
      assertInvalid(await attempt({ username, password: PASSWORD, ip }, deps, T0), JSON.stringify(username));
    }
    assert.deepEqual(users.lookups, [], 'never looked up');
    assert.deepEqual(throttle.hits, Array(5).fill(`login-addr:${ip}`));
  });

  it('refuses a disabled user with the right password exactly like a wrong password, and counts it', async () => {
    setUp([], [makeUser('Dora', hash, { disabled: true, revocationEpoch: 1 })]);
    const ip = freshIp();
    assertInvalid(await attempt({ username: 'Dora', password: PASSWORD, ip }, deps, T0), 'disabled');
    assert.deepEqual(throttle.hits, ['login-user:dora', `login-addr:${ip}`]);
  });

  it('locks a username after 5 failures, in any letter case and from any address, even for the right password, until the window ends', async () => {
    setUp(['Alice']);
    for (let failure = 1; failure <= 5; failure += 1) {
      const username = failure % 2 === 0 ? 'ALICE' : 'alice';
      assertInvalid(await attempt({ username, password: `guess number ${failure}`, ip: freshIp() }, deps, T0 + failure * 1000), `failure ${failure}`);
    }
    const hitsBefore = throttle.hits.length;
    const lookupsBefore = users.lookups.length;
    // The window opened at T0 + 1 s with the first failure and closes at T0 + 61 s.
    assertThrottled(await attempt({ username: 'Alice', password: PASSWORD, ip: freshIp() }, deps, T0 + 6_000), 55, 'right password while locked');
    assertThrottled(await attempt({ username: 'alice', password: 'another guess', ip: freshIp() }, deps, T0 + 30_500), 31, 'Retry-After counts down');
    assert.equal(throttle.hits.length, hitsBefore, 'refusals while locked are not counted');
    assert.equal(users.lookups.length, lookupsBefore, 'no password is checked while locked');
    assert.equal(await attempt({ username: 'Alice', password: PASSWORD, ip: freshIp() }, deps, T0 + 61_000), 'ok', 'the window has ended');
  });

  it('records the lock of a username once, when the failure reaching the limit is counted, not the refusals after it, and never the password', async () => {
    setUp(['Alice']);
    for (let failure = 1; failure <= 4; failure += 1) await attempt({ username: 'alice', password: `guess number ${failure}`, ip: freshIp() }, deps, T0);
    assert.deepEqual(recorded, [], 'below the limit nothing is recorded');
    await attempt({ username: 'alice', password: 'guess number 5', ip: '192.0.2.99' }, deps, T0);
    for (let refused = 0; refused < 3; refused += 1) assertThrottled(await attempt({ username: 'alice', password: PASSWORD, ip: freshIp() }, deps, T0 + 1000), 59);
    assert.deepEqual(recorded, [
      { actor: 'anonymous', tenant: null, action: 'login.throttled', target: 'user:alice', outcome: 'refused', details: { address: '192.0.2.99', windowSeconds: 60, limit: 5 } },
    ]);
    assert.ok(!JSON.stringify(recorded).includes('guess number') && !JSON.stringify(recorded).includes(PASSWORD));
  });

  it('locks an unknown username after 5 failures too, with the same answers', async () => {
    setUp(['Alice']);
    for (let failure = 1; failure <= 5; failure += 1) {
      assertInvalid(await attempt({ username: 'ghost', password: 'guess', ip: freshIp() }, deps, T0));
    }
    assertThrottled(await attempt({ username: 'ghost', password: 'guess', ip: freshIp() }, deps, T0 + 10_000), 50);
  });

  it('does not count correct passwords: 4 failures, then a success is not slowed down, and the lock comes at the 5th failure only', async () => {
    setUp(['Alice']);
    const ip = freshIp();
    for (let failure = 1; failure <= 4; failure += 1) assertInvalid(await attempt({ username: 'alice', password: 'nope nope', ip }, deps, T0));
    for (let success = 0; success < 3; success += 1) assert.equal(await attempt({ username: 'alice', password: PASSWORD, ip }, deps, T0 + 1000), 'ok');
    assert.equal(throttle.hits.filter((key) => key === 'login-user:alice').length, 4);
    assertInvalid(await attempt({ username: 'alice', password: 'nope nope', ip }, deps, T0 + 2000), 'the 5th failure');
    assertThrottled(await attempt({ username: 'alice', password: PASSWORD, ip }, deps, T0 + 2000), 58);
  });

  it('locks a source address after 20 failures over many usernames: every attempt from it is refused until the window ends; other addresses are not', async () => {
    setUp(['Alice', 'Bob']);
    const ip = freshIp();
    for (let failure = 1; failure <= 20; failure += 1) {
      assertInvalid(await attempt({ username: `user${failure}`, password: 'Summer2026!', ip }, deps, T0), `failure ${failure}`);
    }
    assertThrottled(await attempt({ username: 'Bob', password: PASSWORD, ip }, deps, T0 + 15_000), 45, 'a right password from the locked address');
    assertThrottled(await attempt({ username: 'user99', password: 'Summer2026!', ip }, deps, T0 + 15_000), 45);
    assert.equal(await attempt({ username: 'Bob', password: PASSWORD, ip: freshIp() }, deps, T0 + 15_000), 'ok', 'Bob from elsewhere');
    assert.equal(await attempt({ username: 'Alice', password: PASSWORD, ip }, deps, T0 + 60_000), 'ok', 'after the window');
  });

  it('answers with the longer wait when both the username and the address are locked', async () => {
    setUp(['Alice']);
    const ip = freshIp();
    for (let failure = 1; failure <= 20; failure += 1) assertInvalid(await attempt({ username: `spray${failure}`, password: 'x', ip }, deps, T0));
    for (let failure = 1; failure <= 5; failure += 1) assertInvalid(await attempt({ username: 'alice', password: 'x', ip: freshIp() }, deps, T0 + 30_000));
    assertThrottled(await attempt({ username: 'alice', password: PASSWORD, ip }, deps, T0 + 40_000), 50, 'the username lock ends later (T0 + 90 s)');
  });

  it('concurrent guesses cannot slip past the limit: at most 5 passwords are checked for one username at once', async () => {
    setUp(['Alice']);
    const outcomes = await Promise.all(Array.from({ length: 25 }, (_, i) => attempt({ username: 'alice', password: `parallel guess ${i}`, ip: freshIp() }, deps, T0)));
    const checked = outcomes.filter((outcome) => outcome instanceof LoginError && outcome.code === 'invalid_credentials');
    const refused = outcomes.filter((outcome) => outcome instanceof LoginError && outcome.code === 'throttled');
    assert.equal(checked.length, 5, 'five guesses were checked');
    assert.equal(refused.length, 20);
    assert.ok(refused.every((outcome) => (outcome as LoginError).retryAfter === 1), 'refused while checks were under way: retry in a moment');
    assert.equal(users.lookups.length, 5);
    assertThrottled(await attempt({ username: 'alice', password: PASSWORD, ip: freshIp() }, deps, T0 + 1000), 59, 'and now the username is locked');
  });

  it('uses the configured limits and window', async () => {
    setUp(['Alice']);
    const strict: UserAuthDeps = { ...deps, config: { throttleWindow: 300, loginMaxFailuresPerUser: 2, loginMaxFailuresPerAddress: 100 } };
    assertInvalid(await attempt({ username: 'alice', password: 'x', ip: freshIp() }, strict, T0));
    assertInvalid(await attempt({ username: 'alice', password: 'x', ip: freshIp() }, strict, T0));
    assertThrottled(await attempt({ username: 'alice', password: PASSWORD, ip: freshIp() }, strict, T0 + 100_000), 200);
  });
});
