/**
 * The rules of the authorization flow (packages/server/src/core/authorize/flow.ts), without HTTP: each
 * step is called with the sealed session and the form, against in-memory stores, and
 * what it comes to (page model, status, session update, redirect) is checked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, beforeEach, describe, it } from 'node:test';
import { digestCode } from '../../packages/server/src/core/authorization-codes.js';
import {
  startAuthorization,
  submitConsent,
  submitLogin,
  type AuthorizationFlowDeps,
  type AuthorizationPageStep,
  type AuthorizationRedirect,
  type AuthorizationStep,
  type ConsentPageModel,
} from '../../packages/server/src/core/authorize/flow.js';
import { AUTHORIZATION_SESSION_TTL_MS, newAuthorizationSession, openAuthorizationSession, sealAuthorizationSession } from '../../packages/server/src/core/authorize/session.js';
import { loadConfig } from '../../packages/server/src/core/config.js';
import { hashPassword } from '../../packages/server/src/core/password.js';
import { SessionService } from '../../packages/server/src/core/sessions.js';
import type { NewCode, SessionStore, SignInSession } from '../../packages/server/src/core/storage.js';
import type { Client, Consent, UserWithPassword } from '../../packages/server/src/core/types.js';
import { normalizeUsername } from '../../packages/server/src/core/username.js';
import { MemoryThrottleStore } from '../../packages/server/src/store/memory/throttle.js';
import { pkceChallenge } from '../helpers/tokens.js';

const ISSUER = 'https://auth.example.com';
const REDIRECT_URI = 'https://app.example.com/cb';
const PASSWORD = 'correct horse battery staple';
const CHALLENGE = pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
const T0 = Date.UTC(2026, 0, 15, 9, 30);

let passwordHash: string;
before(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

function makeClient(overrides: Partial<Client> = {}): Client {
  return {
    id: 'client-1',
    tenantId: 't-acme',
    tenantSlug: 'acme',
    name: 'Invoice App',
    isPublic: false,
    secretDigest: 'x',
    previousSecretDigest: null,
    previousSecretExpiresAt: null,
    grantTypes: ['authorization_code'],
    scopes: ['documents:read', 'documents:write'],
    defaultScopes: ['documents:read'],
    redirectUris: [REDIRECT_URI],
    accessTokenTtl: null,
    tenantAccessTokenTtl: null,
    disabled: false,
    tenantDisabled: false,
    resourceServer: false,
    refreshIdleTtl: 86_400,
    refreshAbsoluteTtl: 2_592_000,
    refreshGraceSeconds: 0,
    revocationEpoch: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function makeUser(username: string, tenants: string[], overrides: Partial<UserWithPassword> = {}): UserWithPassword {
  return {
    id: `user-${username}`,
    username,
    disabled: false,
    tenants: tenants.map((slug) => ({ id: `t-${slug}`, slug })),
    revocationEpoch: 0,
    createdAt: T0,
    updatedAt: T0,
    passwordHash,
    ...overrides,
  };
}

/** The SessionStore rules (core/storage/sessions.ts) in memory, enough for the flow. */
function memorySessionStore(): SessionStore {
  const rows = new Map<string, SignInSession & { tokenDigest: string }>();
  const live = (row: SignInSession, now: number) => now < row.idleExpiresAt && now < row.absoluteExpiresAt;
  const strip = ({ tokenDigest: _digest, ...session }: SignInSession & { tokenDigest: string }): SignInSession => session;
  return {
    createSession: async (input) => {
      const row = { ...input, lastSeenAt: input.createdAt, idleExpiresAt: Math.min(input.idleExpiresAt, input.absoluteExpiresAt) };
      rows.set(input.id, row);
      return strip(row);
    },
    findSession: async (digest, now) => {
      const row = [...rows.values()].find((candidate) => candidate.tokenDigest === digest);
      return row && live(row, now) ? strip(row) : undefined;
    },
    touchSession: async () => false,
    endSession: async (id) => rows.delete(id),
    endSessionsOf: async (kind, subjectId) => {
      const ended = [...rows.values()].filter((row) => row.kind === kind && row.subjectId === subjectId);
      for (const row of ended) rows.delete(row.id);
      return ended.length;
    },
    pruneExpired: async () => 0,
  };
}

/** The stores the flow reads and writes, in memory, with what was written kept for the assertions. */
class World {
  readonly clients = new Map<string, Client>();
  readonly users = new Map<string, UserWithPassword>();
  readonly consents = new Map<string, Consent>();
  readonly codes: NewCode[] = [];
  readonly codeDigestKey = randomBytes(32);
  readonly sessionKey = randomBytes(32);
  /** The sign-in sessions' clock. */
  now = T0;
  readonly signInSessions = new SessionService({
    sessions: memorySessionStore(),
    digestKey: randomBytes(32),
    csrfKey: randomBytes(32),
    config: loadConfig({ userSessionIdleTtl: 1800, userSessionMaxAge: 28_800 }),
    clock: () => this.now,
  });

  deps(limits: { perUser?: number } = {}): AuthorizationFlowDeps {
    return {
      clients: { findClient: async (id) => this.clients.get(id) },
      users: {
        findUser: async (id) => {
          const user = [...this.users.values()].find((candidate) => candidate.id === id);
          if (!user) return undefined;
          const { passwordHash: _hash, ...found } = user;
          return found;
        },
        findUserByUsername: async (username) => this.users.get(normalizeUsername(username)),
      },
      // Display names: the slug capitalised (Acme, Globex).
      tenants: { findTenantBySlug: async (slug) => ({ id: `t-${slug}`, slug, name: slug[0]!.toUpperCase() + slug.slice(1), accessTokenTtl: null, disabled: false, branding: { accent: null, termsUrl: null, privacyUrl: null, logo: null }, createdAt: T0 }) },
      consents: {
        findConsent: async (userId, clientId) => this.consents.get(`${userId} ${clientId}`),
        saveConsent: async (input) => {
          const consent = { ...input, createdAt: T0, updatedAt: T0 };
          this.consents.set(`${input.userId} ${input.clientId}`, consent);
          return consent;
        },
      },
      audit: { record: async () => {} },
      scopes: {
        listScopes: async (tenantId) => [
          { tenantId, name: 'documents:read', description: 'Read your documents' },
          { tenantId, name: 'documents:write', description: 'Upload documents' },
        ],
      },
      codes: {
        createCode: async (input) => {
          this.codes.push(input);
          return { ...input, consumedAt: null };
        },
      },
      keys: { signingKey: async () => assert.fail('no token is minted in the code flow') },
      throttle: new MemoryThrottleStore(),
      config: {
        issuer: ISSUER,
        audience: 'https://api.example.com',
        accessTokenTtl: 300,
        maxAccessTokenTtl: 3600,
        authorizationCodeTtl: 600,
        throttleWindow: 60,
        loginMaxFailuresPerUser: limits.perUser ?? 5,
        loginMaxFailuresPerAddress: 100,
        productName: 'Gatehouse',
      },
      codeDigestKey: this.codeDigestKey,
      sessionKey: this.sessionKey,
      signInSessions: this.signInSessions,
    };
  }

  addUser(user: UserWithPassword): UserWithPassword {
    this.users.set(normalizeUsername(user.username), user);
    return user;
  }
}

let world: World;
let deps: AuthorizationFlowDeps;
let address = 0;
/** A fresh source address per login, so tests do not share the per-address throttle. */
const freshAddress = () => `192.0.2.${++address}`;

beforeEach(() => {
  world = new World();
  world.clients.set('client-1', makeClient());
  world.addUser(makeUser('alice', ['acme']));
  world.addUser(makeUser('bob', ['acme', 'globex']));
  deps = world.deps();
});

function codeQuery(extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    response_type: 'code',
    client_id: 'client-1',
    redirect_uri: REDIRECT_URI,
    scope: 'documents:read',
    state: 'xyz',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
}

function asPage(step: AuthorizationStep, status: number, page: AuthorizationPageStep['page']): AuthorizationPageStep {
  assert.equal(step.kind, 'page', `expected a page, got ${JSON.stringify(step)}`);
  assert.equal(step.status, status, JSON.stringify(step));
  assert.equal(step.page, page);
  return step;
}

function asRedirect(step: AuthorizationStep): URL {
  assert.equal(step.kind, 'redirect', `expected a redirect, got ${JSON.stringify(step)}`);
  assert.equal((step as AuthorizationRedirect).session, 'clear', 'the flow is over: its session is cleared');
  return new URL(step.location);
}

function sealedOf(step: AuthorizationPageStep): string {
  assert.ok(step.session && step.session !== 'clear', 'the step seals the session');
  return step.session.set;
}

/** GET /oauth/authorize: the sealed session and the login form's CSRF token. */
async function start(query = codeQuery()): Promise<{ sealed: string; csrf: string }> {
  const login = asPage(await startAuthorization(query, deps, T0), 200, 'login');
  assert.equal(login.page, 'login');
  return { sealed: sealedOf(login), csrf: login.model.csrfToken };
}

/** Through the login page with the right password; the step it comes to. */
async function signIn(username: string, query = codeQuery()): Promise<AuthorizationStep> {
  const { sealed, csrf } = await start(query);
  return submitLogin(sealed, { csrfToken: csrf, username, password: PASSWORD }, freshAddress(), deps, T0 + 1000);
}

/** Through the login page to the consent page: the sealed session and its CSRF token. */
async function toConsent(username: string, query = codeQuery()): Promise<{ sealed: string; csrf: string; model: ConsentPageModel }> {
  const consent = asPage(await signIn(username, query), 200, 'consent');
  assert.equal(consent.page, 'consent');
  return { sealed: sealedOf(consent), csrf: consent.model.csrfToken, model: consent.model };
}

function assertErrorPage(step: AuthorizationStep, status: number, title: string): AuthorizationPageStep {
  const page = asPage(step, status, 'error');
  assert.equal(page.page === 'error' && page.model.title, title);
  return page;
}

describe('startAuthorization', () => {
  it('shows the login page for a valid request and seals the request in a new session carrying the form’s CSRF token', async () => {
    const step = asPage(await startAuthorization(codeQuery({ tenant: 'acme' }), deps, T0), 200, 'login');
    assert.equal(step.page === 'login' && step.redirectUri, REDIRECT_URI, 'the form may end in a redirect to the client');
    assert.equal(step.page === 'login' && step.model.clientName, 'Invoice App');
    const session = openAuthorizationSession(sealedOf(step), world.sessionKey, T0);
    assert.ok(session);
    assert.equal(session.csrf, step.page === 'login' && step.model.csrfToken);
    assert.equal(session.exp, T0 + AUTHORIZATION_SESSION_TTL_MS);
    assert.equal(session.user, undefined);
    assert.deepEqual(session.request, {
      clientId: 'client-1',
      redirectUri: REDIRECT_URI,
      responseType: 'code',
      scope: ['documents:read'],
      state: 'xyz',
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      tenantHint: 'acme',
    });
  });

  it('shows an error page, never a redirect, for an unknown client, and leaves the session alone', async () => {
    const step = assertErrorPage(await startAuthorization(codeQuery({ client_id: 'nobody' }), deps, T0), 400, 'Unknown application');
    assert.equal(step.session, undefined);
  });

  it('redirects a bad scope to the client with error, state and iss, clearing the session', async () => {
    const url = asRedirect(await startAuthorization(codeQuery({ scope: 'admin:everything' }), deps, T0));
    assert.equal(url.searchParams.get('error'), 'invalid_scope');
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), ISSUER);
  });
});

describe('the session of a form post', () => {
  it('refuses a form whose CSRF token is not the session’s with a 403 page, and leaves the session as it is', async () => {
    const { sealed, csrf } = await start();
    for (const csrfToken of [undefined, '', `${csrf.slice(1)}x`, 'x']) {
      const step = assertErrorPage(await submitLogin(sealed, { csrfToken, username: 'alice', password: PASSWORD }, freshAddress(), deps, T0), 403, 'Request refused');
      assert.equal(step.session, undefined, 'the genuine form can still be sent');
    }
    const consent = assertErrorPage(await submitConsent(sealed, { csrfToken: 'wrong', decision: 'allow', tenants: [] }, deps, T0), 403, 'Request refused');
    assert.equal(consent.session, undefined);
  });

  it('answers an expired session with a 400 "Session expired" page and clears it', async () => {
    const { sealed, csrf } = await start();
    const late = T0 + AUTHORIZATION_SESSION_TTL_MS;
    const step = assertErrorPage(await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: PASSWORD }, freshAddress(), deps, late), 400, 'Session expired');
    assert.equal(step.session, 'clear');
    // One millisecond earlier, the same form is accepted.
    asPage(await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: PASSWORD }, freshAddress(), deps, late - 1), 200, 'consent');
  });

  it('answers a missing or forged session like an expired one', async () => {
    const { sealed, csrf } = await start();
    const forged = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'AB' : 'AA'}`;
    for (const session of [undefined, forged]) {
      const step = assertErrorPage(await submitConsent(session, { csrfToken: csrf, decision: 'allow', tenants: [] }, deps, T0), 400, 'Session expired');
      assert.equal(step.session, 'clear');
    }
  });
});

describe('submitLogin', () => {
  it('shows the login page again with one message and 401 for a wrong password, an unknown user and a disabled user alike', async () => {
    world.addUser(makeUser('carol', ['acme'], { disabled: true }));
    const answers = [];
    for (const [username, password] of [['alice', 'wrong password'], ['nobody', PASSWORD], ['carol', PASSWORD]] as const) {
      const { sealed, csrf } = await start();
      const step = asPage(await submitLogin(sealed, { csrfToken: csrf, username, password }, freshAddress(), deps, T0), 401, 'login');
      assert.equal(step.session, undefined, 'the session stays: the user may try again');
      assert.ok(step.page === 'login');
      assert.equal(step.model.username, username, 'the username typed is kept');
      assert.equal(step.model.csrfToken, csrf);
      answers.push(step.model.error);
    }
    assert.deepEqual(answers, Array(3).fill('Incorrect username or password.'));
  });

  it('answers 429 with a retry-after once the username has too many failures, even with the right password', async () => {
    deps = world.deps({ perUser: 2 });
    const { sealed, csrf } = await start();
    for (let i = 0; i < 2; i++) {
      asPage(await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: 'wrong' }, freshAddress(), deps, T0), 401, 'login');
    }
    const step = assertErrorPage(await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: PASSWORD }, freshAddress(), deps, T0 + 10_000), 429, 'Too many attempts');
    assert.equal(step.retryAfter, 50, 'until the 60-second window closes');
    assert.equal(step.session, undefined);
  });

  it('shows the unknown-application page, clearing the session, when the client was disabled after the request', async () => {
    const { sealed, csrf } = await start();
    world.clients.set('client-1', makeClient({ disabled: true }));
    const step = assertErrorPage(await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: PASSWORD }, freshAddress(), deps, T0), 400, 'Unknown application');
    assert.equal(step.session, 'clear');
  });

  it('shows the consent page after the right password: scope descriptions, redirect host, and a session with the user and a new CSRF token', async () => {
    const { sealed, csrf: loginCsrf } = await start();
    const step = asPage(await submitLogin(sealed, { csrfToken: loginCsrf, username: 'alice', password: PASSWORD }, freshAddress(), deps, T0 + 1000), 200, 'consent');
    assert.ok(step.page === 'consent');
    assert.equal(step.redirectUri, REDIRECT_URI);
    assert.deepEqual(step.model.scopes, [{ name: 'documents:read', description: 'Read your documents' }]);
    assert.equal(step.model.redirectHost, 'app.example.com');
    assert.equal(step.model.username, 'alice');
    assert.deepEqual(step.model.tenants, [{ slug: 'acme', name: 'Acme' }]);
    const session = openAuthorizationSession(sealedOf(step), world.sessionKey, T0 + 1000);
    assert.deepEqual(session?.user, { id: 'user-alice', authTime: T0 + 1000 });
    assert.equal(session.csrf, step.model.csrfToken);
    assert.notEqual(session.csrf, loginCsrf, 'the CSRF token is replaced at login');
  });

  it('skips the consent page when a remembered consent covers the request, and redirects with a code for the remembered tenants', async () => {
    world.consents.set('user-bob client-1', { userId: 'user-bob', clientId: 'client-1', scopes: ['documents:read', 'documents:write'], tenants: ['globex'], createdAt: T0, updatedAt: T0 });
    const url = asRedirect(await signIn('bob'));
    assert.equal(url.origin + url.pathname, REDIRECT_URI);
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), ISSUER);
    const code = url.searchParams.get('code');
    assert.ok(code);
    assert.equal(world.codes.length, 1);
    const [stored] = world.codes;
    assert.equal(stored!.codeDigest, digestCode(code, world.codeDigestKey), 'only the digest is stored');
    assert.deepEqual({ user: stored!.userId, tenants: stored!.tenants, scope: stored!.scope, challenge: stored!.codeChallenge }, {
      user: 'user-bob',
      tenants: ['globex'],
      scope: ['documents:read'],
      challenge: CHALLENGE,
    });
  });

  it('asks again when the request adds a scope the remembered consent lacks', async () => {
    world.consents.set('user-alice client-1', { userId: 'user-alice', clientId: 'client-1', scopes: ['documents:read'], tenants: ['acme'], createdAt: T0, updatedAt: T0 });
    asRedirect(await signIn('alice'));
    asPage(await signIn('alice', codeQuery({ scope: 'documents:read documents:write' })), 200, 'consent');
  });
});

describe('submitConsent', () => {
  it('Deny redirects with access_denied, state and iss, clearing the session', async () => {
    const { sealed, csrf } = await toConsent('alice');
    const url = asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'deny', tenants: [] }, deps, T0 + 2000));
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), ISSUER);
    assert.equal(world.codes.length, 0);
    assert.equal(world.consents.size, 0, 'a denial is not remembered');
  });

  it('gives access_denied to a user disabled since signing in, even on Allow', async () => {
    const { sealed, csrf } = await toConsent('alice');
    world.addUser(makeUser('alice', ['acme'], { disabled: true }));
    const url = asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: ['acme'] }, deps, T0 + 2000));
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(world.codes.length, 0);
  });

  it('Allow redirects with a code bound to the user’s only tenant, and remembers the consent', async () => {
    const { sealed, csrf } = await toConsent('alice');
    const url = asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: [] }, deps, T0 + 2000));
    assert.ok(url.searchParams.get('code'));
    assert.equal(url.searchParams.get('iss'), ISSUER);
    assert.deepEqual(world.codes.map((code) => ({ user: code.userId, tenants: code.tenants, authTime: code.authTime })), [{ user: 'user-alice', tenants: ['acme'], authTime: T0 + 1000 }]);
    assert.deepEqual(world.consents.get('user-alice client-1')?.scopes, ['documents:read']);
    // The next authorization skips the page.
    asRedirect(await signIn('alice'));
  });

  it('shows the consent page again with an error when a user of several tenants chooses none, or one not theirs', async () => {
    const { sealed, csrf } = await toConsent('bob');
    for (const [tenants, error] of [
      [[], 'Choose at least one workspace.'],
      [['acme', 'initech'], 'Choose among your own workspaces.'],
    ] as const) {
      const step = asPage(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: [...tenants] }, deps, T0 + 2000), 400, 'consent');
      assert.ok(step.page === 'consent');
      assert.equal(step.model.error, error);
      assert.deepEqual(step.model.tenants, [{ slug: 'acme', name: 'Acme' }, { slug: 'globex', name: 'Globex' }]);
      assert.equal(step.model.csrfToken, csrf, 'the same session continues');
    }
    assert.equal(world.codes.length, 0);
    assert.equal(world.consents.size, 0);
  });

  it('asks to choose Allow or Deny when the form names neither', async () => {
    const { sealed, csrf } = await toConsent('alice');
    const step = asPage(await submitConsent(sealed, { csrfToken: csrf, decision: undefined, tenants: [] }, deps, T0 + 2000), 400, 'consent');
    assert.equal(step.page === 'consent' && step.model.error, 'Choose Allow or Deny.');
  });

  it('binds the code to the tenants chosen, and pre-checks the hinted tenant of a user who belongs to it', async () => {
    const { sealed, csrf, model } = await toConsent('bob', codeQuery({ tenant: 'globex' }));
    assert.deepEqual(model.checkedTenants, ['globex']);
    asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: ['globex', 'acme'] }, deps, T0 + 2000));
    assert.deepEqual(world.codes[0]?.tenants, ['acme', 'globex']);
    assert.deepEqual(world.consents.get('user-bob client-1')?.tenants, ['acme', 'globex']);
  });

  it('refuses a consent before any login with a "Not signed in" page, clearing the session', async () => {
    const { sealed, csrf } = await start();
    const step = assertErrorPage(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: [] }, deps, T0), 400, 'Not signed in');
    assert.equal(step.session, 'clear');
  });

  it('shows the unknown-application page when the client was disabled before the consent', async () => {
    const { sealed, csrf } = await toConsent('alice');
    world.clients.set('client-1', makeClient({ disabled: true }));
    const step = assertErrorPage(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: [] }, deps, T0 + 2000), 400, 'Unknown application');
    assert.equal(step.session, 'clear');
    assert.equal(world.codes.length, 0);
  });
});

describe('consent that can grow (by tenant as by scope)', () => {
  const remember = (username: string, scopes: string[], tenants: string[]) =>
    world.consents.set(`user-${username} client-1`, { userId: `user-${username}`, clientId: 'client-1', scopes, tenants, createdAt: T0, updatedAt: T0 });

  it('asks again when the tenant hint names a tenant of the user’s that was not granted, pre-checking the granted ones and the hinted one', async () => {
    remember('bob', ['documents:read'], ['acme']);
    const { sealed, csrf, model } = await toConsent('bob', codeQuery({ tenant: 'globex' }));
    assert.deepEqual(model.checkedTenants, ['acme', 'globex']);
    asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: ['acme', 'globex'] }, deps, T0 + 2000));
    assert.deepEqual(world.codes[0]?.tenants, ['acme', 'globex']);
    assert.deepEqual(world.consents.get('user-bob client-1')?.tenants, ['acme', 'globex'], 'the grown consent is remembered');
    // Now covered: the same request skips the page.
    const url = asRedirect(await signIn('bob', codeQuery({ tenant: 'globex' })));
    assert.ok(url.searchParams.get('code'));
    assert.deepEqual(world.codes[1]?.tenants, ['acme', 'globex']);
  });

  it('skips the page for a hint naming a granted tenant, or a tenant the user is not in (the answer does not tell whether it exists)', async () => {
    remember('bob', ['documents:read'], ['acme']);
    for (const tenant of ['acme', 'initech', 'no-such-tenant']) {
      asRedirect(await signIn('bob', codeQuery({ tenant })));
    }
    assert.deepEqual(world.codes.map((code) => code.tenants), [['acme'], ['acme'], ['acme']]);
  });

  it('pre-checks the tenants granted before when a new scope brings the page back', async () => {
    remember('bob', ['documents:read'], ['globex']);
    const { model } = await toConsent('bob', codeQuery({ scope: 'documents:read documents:write' }));
    assert.deepEqual(model.checkedTenants, ['globex']);
  });

  it('checks nothing for a first consent without a hint, and pre-checks again after a rejected choice', async () => {
    remember('bob', ['documents:read'], ['acme']);
    const { sealed, csrf, model } = await toConsent('bob', codeQuery({ tenant: 'globex' }));
    assert.deepEqual(model.checkedTenants, ['acme', 'globex']);
    const again = asPage(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: [] }, deps, T0 + 2000), 400, 'consent');
    assert.deepEqual(again.page === 'consent' && again.model.checkedTenants, ['acme', 'globex']);
    world.consents.clear();
    assert.deepEqual((await toConsent('bob')).model.checkedTenants, []);
  });
});

describe('prompt (OpenID Connect Core 1.0 §3.1.2.1)', () => {
  const remember = () =>
    world.consents.set('user-bob client-1', { userId: 'user-bob', clientId: 'client-1', scopes: ['documents:read'], tenants: ['globex'], createdAt: T0, updatedAt: T0 });

  it('prompt=none answers login_required with state and iss, even with a remembered consent, when nobody is signed in', async () => {
    remember();
    const url = asRedirect(await startAuthorization(codeQuery({ prompt: 'none' }), deps, T0));
    assert.equal(url.origin + url.pathname, REDIRECT_URI);
    assert.equal(url.searchParams.get('error'), 'login_required');
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(url.searchParams.get('iss'), ISSUER);
    assert.equal(url.searchParams.get('code'), null);
    assert.equal(world.codes.length, 0);
  });

  it('prompt=none answers an implicit request in the fragment', async () => {
    world.clients.set('client-1', makeClient({ grantTypes: ['implicit'], isPublic: true }));
    const url = asRedirect(await startAuthorization(new URLSearchParams({ response_type: 'token', client_id: 'client-1', scope: 'documents:read', state: 's', prompt: 'none' }).toString(), deps, T0));
    assert.equal(url.search, '');
    const fragment = new URLSearchParams(url.hash.slice(1));
    assert.equal(fragment.get('error'), 'login_required');
    assert.equal(fragment.get('state'), 's');
    assert.equal(fragment.get('iss'), ISSUER);
  });

  it('redirects an unknown prompt value, or none with another, as invalid_request with state and iss', async () => {
    for (const prompt of ['bogus', 'none login', 'NONE', 'login consent create']) {
      const url = asRedirect(await startAuthorization(codeQuery({ prompt }), deps, T0));
      assert.equal(url.searchParams.get('error'), 'invalid_request', prompt);
      assert.match(url.searchParams.get('error_description')!, /prompt/);
      assert.equal(url.searchParams.get('state'), 'xyz');
      assert.equal(url.searchParams.get('iss'), ISSUER);
    }
  });

  it('prompt=login and prompt=select_account show the login page and are recorded in the session', async () => {
    for (const prompt of ['login', 'select_account', 'login consent']) {
      const step = asPage(await startAuthorization(codeQuery({ prompt }), deps, T0), 200, 'login');
      assert.deepEqual(openAuthorizationSession(sealedOf(step), world.sessionKey, T0)?.request.prompt, prompt.split(' '));
    }
    const none = asPage(await startAuthorization(codeQuery(), deps, T0), 200, 'login');
    assert.equal(openAuthorizationSession(sealedOf(none), world.sessionKey, T0)?.request.prompt, undefined, 'absent when not asked');
  });

  it('prompt=consent shows the consent page although the remembered consent covers the request, pre-checking what was granted', async () => {
    remember();
    const { sealed, csrf, model } = await toConsent('bob', codeQuery({ prompt: 'consent' }));
    assert.deepEqual(model.checkedTenants, ['globex']);
    asRedirect(await submitConsent(sealed, { csrfToken: csrf, decision: 'allow', tenants: ['globex'] }, deps, T0 + 2000));
    assert.deepEqual(world.codes[0]?.tenants, ['globex']);
    // Without it, the same request skips the page.
    asRedirect(await signIn('bob'));
  });

  it('continues a session sealed before prompt was recorded', async () => {
    remember();
    const request = { clientId: 'client-1', redirectUri: REDIRECT_URI, responseType: 'code' as const, scope: ['documents:read'], state: 'old', codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' as const };
    const session = newAuthorizationSession(request, T0);
    const url = asRedirect(await submitLogin(sealAuthorizationSession(session, world.sessionKey), { csrfToken: session.csrf, username: 'bob', password: PASSWORD }, freshAddress(), deps, T0 + 1000));
    assert.equal(url.searchParams.get('state'), 'old');
    assert.ok(url.searchParams.get('code'));
  });
});

describe('the sign-in session (shared with /account)', () => {
  const remember = (tenants = ['acme']) =>
    world.consents.set('user-alice client-1', { userId: 'user-alice', clientId: 'client-1', scopes: ['documents:read'], tenants, createdAt: T0, updatedAt: T0 });

  /** Signs alice in through the login page: the sign-in session's token. */
  async function signedInToken(): Promise<string> {
    const step = await signIn('alice');
    assert.ok(step.signIn, 'a login starts a sign-in session');
    assert.equal(step.signIn.maxAgeSeconds, 28_800, 'the browser keeps the cookie for the absolute lifetime');
    return step.signIn.set;
  }

  it('a login starts a session whose token the step hands to the cookie, and ends the one the browser had', async () => {
    const first = await signedInToken();
    const { sealed, csrf } = await start();
    const again = await submitLogin(sealed, { csrfToken: csrf, username: 'bob', password: PASSWORD }, freshAddress(), deps, T0 + 1000, first);
    assert.ok(again.signIn && again.signIn.set !== first, 'a fresh token (no fixation)');
    assert.equal(await world.signInSessions.resume('user', first), undefined, 'the previous session is ended');
    assert.equal((await world.signInSessions.resume('user', again.signIn.set))?.subjectId, 'user-bob');
  });

  it('a failed login starts no session', async () => {
    const { sealed, csrf } = await start();
    const step = await submitLogin(sealed, { csrfToken: csrf, username: 'alice', password: 'wrong password!' }, freshAddress(), deps, T0 + 1000);
    assert.equal(step.signIn, undefined);
  });

  it('with a live session and a covering consent, GET /oauth/authorize redirects with a code at once; auth_time is the sign-in', async () => {
    const token = await signedInToken();
    remember();
    world.codes.length = 0;
    world.now = T0 + 60_000;
    const url = asRedirect(await startAuthorization(codeQuery(), deps, T0 + 60_000, token));
    assert.ok(url.searchParams.get('code'));
    assert.equal(url.searchParams.get('state'), 'xyz');
    assert.equal(world.codes[0]?.userId, 'user-alice');
    assert.deepEqual(world.codes[0]?.tenants, ['acme']);
    assert.equal(world.codes[0]?.authTime, T0, 'when the user signed in, not this request');
  });

  it('with a live session and no consent, shows the consent page (no login page), and Allow completes the flow', async () => {
    const token = await signedInToken();
    world.consents.clear();
    const consent = asPage(await startAuthorization(codeQuery(), deps, T0 + 2000, token), 200, 'consent');
    assert.equal(consent.page === 'consent' && consent.model.username, 'alice');
    const url = asRedirect(await submitConsent(sealedOf(consent), { csrfToken: consent.page === 'consent' ? consent.model.csrfToken : '', decision: 'allow', tenants: [] }, deps, T0 + 3000));
    assert.ok(url.searchParams.get('code'));
  });

  it('prompt=none with a live session: a code when the consent covers the request, consent_required otherwise', async () => {
    const token = await signedInToken();
    world.consents.clear();
    const refused = asRedirect(await startAuthorization(codeQuery({ prompt: 'none' }), deps, T0 + 2000, token));
    assert.equal(refused.searchParams.get('error'), 'consent_required');
    assert.equal(refused.searchParams.get('state'), 'xyz');
    assert.equal(refused.searchParams.get('iss'), ISSUER);
    remember();
    const granted = asRedirect(await startAuthorization(codeQuery({ prompt: 'none' }), deps, T0 + 3000, token));
    assert.ok(granted.searchParams.get('code'));
    const widened = asRedirect(await startAuthorization(codeQuery({ prompt: 'none', scope: 'documents:read documents:write' }), deps, T0 + 4000, token));
    assert.equal(widened.searchParams.get('error'), 'consent_required', 'a scope not agreed to');
  });

  it('prompt=none without a live session (none, unknown, ended) answers login_required', async () => {
    const token = await signedInToken();
    remember();
    await world.signInSessions.end(token);
    for (const presented of [undefined, 'not-a-token', token]) {
      const url = asRedirect(await startAuthorization(codeQuery({ prompt: 'none' }), deps, T0 + 2000, presented));
      assert.equal(url.searchParams.get('error'), 'login_required');
    }
  });

  it('prompt=login and select_account ask for the password again despite a live session', async () => {
    const token = await signedInToken();
    remember();
    for (const prompt of ['login', 'select_account']) asPage(await startAuthorization(codeQuery({ prompt }), deps, T0 + 2000, token), 200, 'login');
  });

  it('prompt=consent with a live session shows the consent page over a covering consent', async () => {
    const token = await signedInToken();
    remember();
    asPage(await startAuthorization(codeQuery({ prompt: 'consent' }), deps, T0 + 2000, token), 200, 'consent');
  });

  it('a disabled user, or an expired session, gets the login page', async () => {
    const token = await signedInToken();
    remember();
    world.now = T0 + 31 * 60_000;
    asPage(await startAuthorization(codeQuery(), deps, world.now, token), 200, 'login');
    world.now = T0;
    const fresh = await signedInToken();
    world.addUser(makeUser('alice', ['acme'], { disabled: true }));
    asPage(await startAuthorization(codeQuery(), deps, T0 + 2000, fresh), 200, 'login');
  });

  it('a user who left the remembered tenant is asked again (the user is reloaded, not trusted from the session)', async () => {
    const token = await signedInToken();
    world.addUser(makeUser('alice', ['globex', 'initech']));
    remember(['acme']);
    const consent = asPage(await startAuthorization(codeQuery(), deps, T0 + 2000, token), 200, 'consent');
    assert.deepEqual(consent.page === 'consent' && consent.model.tenants, [{ slug: 'globex', name: 'Globex' }, { slug: 'initech', name: 'Initech' }]);
  });
});
