/**
 * Property-based fuzzing of the public endpoints (issue 16, "The suite"): /oauth/token,
 * /oauth/authorize (GET and POST), /oauth/revoke, /oauth/introspect, the admin API (with
 * and without an admin token) and the demo API, with random and adversarial parameters,
 * encodings (percent, UTF-8, overlong UTF-8, NUL, RTL marks), repeated parameters,
 * content types, methods, sizes and headers. Every answer must be:
 * - below 500;
 * - for an OAuth endpoint, an RFC error code with its status (RFC 6749 §5.2, RFC 7009
 *   §2.2.1, RFC 7662 §2.3), or a framework refusal (404/405/413/415) with a JSON body, and
 *   an error_description in RFC 6749 §5.2's alphabet;
 * - free of stack traces, SQL, file paths and the test's own secrets;
 * and a rejected request must leave the database as it was (audit events aside).
 *
 * Replay: every property runs with a fixed seed (GATEHOUSE_FUZZ_SEED, default below); a
 * failure prints fast-check's seed and path. GATEHOUSE_FUZZ_RUNS raises the number of runs
 * for a longer local session, e.g. GATEHOUSE_FUZZ_SEED=7 GATEHOUSE_FUZZ_RUNS=2000.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createClient, createTestGatehouse, getToken, postForm, type TestClient, type TestGatehouse } from '../helpers/gatehouse.js';
import { FORM } from '../helpers/http.js';
import { basicAuth, pkcePair } from '../helpers/tokens.js';
import { exchangeCode, issueCode, REDIRECT_URI, type TokenPair } from '../helpers/user-delegation.js';

const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 16_016);
const RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS ?? 250);
const settings = (numRuns = RUNS) => ({ seed: SEED, numRuns, endOnFailure: true });

/** fc.assert, with the failed assertion's own message in the error (the test runner does not print causes). */
async function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, numRuns = RUNS): Promise<void> {
  try {
    await fc.assert(property, settings(numRuns));
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) (error as Error).message += `\nCause: ${cause.message}`;
    throw error;
  }
}

/** RFC 6749 §5.2: error and error_description characters. */
const CHARSET = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
const TOKEN_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target']);
/** RFC 7009 §2.2.1: RFC 6749 §5.2's codes (unauthorized_client: a token of another client, §2.1) and unsupported_token_type. */
const REVOKE_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'unsupported_token_type']);
const INTROSPECT_ERRORS = new Set(['invalid_request', 'invalid_client']);
const AUTHORIZE_ERRORS = new Set(['invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope', 'invalid_target', 'login_required', 'consent_required', 'interaction_required']);
/** What the framework answers for itself, before a route's own checks. */
const FRAMEWORK_STATUSES = new Set([404, 405, 413, 415, 431]);

// --- generators ----------------------------------------------------------------------

/** Values an attacker would try (encodings, control and bidi characters, injection), mixed with arbitrary text. */
const adversarial = fc.oneof(
  fc.constantFrom(
    '',
    'x"y\\z',
    'a\u0000b',
    '\u0000',
    '\u202e\u202dgpj.exe',
    '\u200f\u200e',
    'é',
    '\ufeff',
    '%00',
    '%C0%AF', // overlong "/"
    '%C0%80', // overlong NUL
    '%E0%80%AF',
    '%FF%FE',
    '%%',
    '%2',
    '%252e%252e%252f',
    '../../../../etc/passwd',
    "' OR '1'='1",
    "'; DROP TABLE clients; --",
    '${jndi:ldap://127.0.0.1/x}',
    '<script>alert(1)</script>',
    '{"$ne":null}',
    'x\r\nSet-Cookie: a=b',
    '\ud800',
    'A'.repeat(5000),
    '0',
    '-1',
    '1e309',
    'null',
    'undefined',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('%', '2', 'e', 'C', '0', 'A', 'F', '/', '+', '&', '=', ';'), maxLength: 40 }),
);

/** A parameter name: the ones the endpoints read, prototype keys, or anything. */
const paramName = fc.oneof(
  fc.constantFrom(
    'grant_type', 'client_id', 'client_secret', 'scope', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'resource', 'tenant',
    'token', 'token_type_hint', 'response_type', 'state', 'code_challenge', 'code_challenge_method', 'prompt', 'nonce', 'username', 'password',
    'csrf_token', 'action', 'audience', 'client_assertion', 'client_assertion_type', '__proto__', 'constructor', 'toString', 'grant_type[]', 'a[b]',
  ),
  adversarial,
);

/** A list of parameters, names often repeated. */
const paramList = fc.array(fc.tuple(paramName, adversarial), { maxLength: 12 });

/** Lone surrogates replaced (encodeURIComponent refuses them). */
const wellFormed = (text: string): string => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** Percent-encodes as URLSearchParams would, or raw (unencoded, so invalid escapes and bytes pass through). */
function encodeParams(pairs: [string, string][], raw: boolean): string {
  if (!raw) {
    const params = new URLSearchParams();
    for (const [name, value] of pairs) params.append(name, value);
    return params.toString();
  }
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

const contentType = fc.constantFrom(
  FORM,
  `${FORM}; charset=utf-8`,
  `${FORM}; charset=iso-8859-1`,
  `${FORM.toUpperCase()}`,
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/x-www-form-urlencoded, application/json',
  '',
  '*/*',
  'application/x-www-form-urlencoded\u0000',
);

const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');

/** Extra headers: odd but legal values (fastify.inject refuses what Node's parser would). */
const headerValue = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), fc.constantFrom('', 'x'.repeat(2000), '\t', 'a;b,c'));
const extraHeaders = fc.dictionary(
  fc.constantFrom('accept', 'accept-encoding', 'accept-language', 'origin', 'x-forwarded-for', 'x-forwarded-proto', 'x-tenant', 'cookie', 'referer', 'dpop', 'sec-fetch-site', 'x-request-id', 'content-encoding'),
  headerValue,
  { maxKeys: 4 },
);

// --- what every answer must (not) contain ------------------------------------------

const STACK = /\bat [\w$.<>]+ \(.*:\d+:\d+\)|\bat (?:file|node):|node:internal/;
const PATH = /(?:\/tmp\/|\/work\/|\/home\/|\/usr\/|node_modules|gatehouse-test-|\.ts:\d+|\.js:\d+)/;
const SQL = /SQLITE_|SqliteError|sqlite3|syntax error|constraint failed|no such (?:table|column)|INSERT INTO|DELETE FROM|\bSELECT\b.*\bFROM\b|kysely|relation "/i;

describe('fuzzing the public endpoints (fast-check, fixed seed)', () => {
  let t: TestGatehouse;
  let client: TestClient;
  let other: TestClient;
  let operator: TestClient;
  let db: Database.Database;
  let secrets: string[];
  let adminToken: string;
  let documentsToken: string;
  let refreshToken: string;
  let unredeemedCode: string;
  let authorizeCookie: string;
  let csrf: string;

  const dump = (): string => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('audit_events') ORDER BY name").all() as { name: string }[];
    return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
  };

  /** No 5xx, no stack, path, SQL or secret; a rejected request changed nothing stored. */
  const check = (response: LightMyRequestResponse, before: string, context: string): void => {
    const where = `${context} -> ${response.statusCode} ${response.body.slice(0, 400)}`;
    assert.ok(response.statusCode < 500, where);
    const text = `${response.body}\n${JSON.stringify(response.headers)}`;
    assert.doesNotMatch(response.body, STACK, where);
    assert.doesNotMatch(response.body, PATH, where);
    assert.doesNotMatch(response.body, SQL, where);
    for (const secret of secrets) assert.ok(!text.includes(secret), `${where}: a secret in the answer`);
    if (response.statusCode >= 400) assert.equal(dump(), before, `${where}: a rejected request changed the database`);
    if (response.statusCode === 429) assert.ok(response.headers['retry-after'], where);
  };

  /** An OAuth endpoint's error: RFC code and status, §5.2 alphabet; or a framework refusal with a JSON body. */
  const checkOAuthError = (response: LightMyRequestResponse, codes: Set<string>, sentAuthorization: boolean, context: string): void => {
    if (response.statusCode < 400) return;
    const where = `${context} -> ${response.statusCode} ${response.body.slice(0, 400)}`;
    if (response.statusCode === 429) return;
    if (response.statusCode === 405 && response.headers.allow === undefined) assert.fail(`${where}: 405 without Allow`);
    if (FRAMEWORK_STATUSES.has(response.statusCode) && !/json/.test(String(response.headers['content-type']))) assert.fail(`${where}: not JSON`);
    if (response.raw.req.method === 'HEAD') return;
    const body = response.json() as { error?: unknown; error_description?: unknown };
    assert.equal(typeof body.error, 'string', where);
    assert.match(body.error as string, CHARSET, where);
    if (body.error_description !== undefined) assert.match(String(body.error_description), CHARSET, where);
    if (FRAMEWORK_STATUSES.has(response.statusCode)) return;
    assert.ok(codes.has(body.error as string), `${where}: not an RFC error code here`);
    // RFC 6749 §5.2: invalid_client is 401 when the client tried the Authorization header (400 allowed otherwise).
    if (body.error === 'invalid_client') assert.ok(response.statusCode === 401 || (!sentAuthorization && response.statusCode === 400), where);
    else assert.equal(response.statusCode, 400, where);
    if (response.statusCode === 401 && sentAuthorization) assert.ok(response.headers['www-authenticate'], `${where}: 401 without WWW-Authenticate`);
  };

  /** A way to authenticate (or not): Basic of the right client, a wrong secret, another client, garbage. */
  const authentication = fc.oneof(
    fc.constant<string | undefined>(undefined),
    fc.constantFrom('right', 'wrong-secret', 'other', 'body').map((kind) => kind as string | undefined),
    fc.tuple(adversarial, adversarial).map(([id, secret]) => `basic:${JSON.stringify([wellFormed(id), wellFormed(secret)])}`),
    fc.oneof(adversarial, fc.constantFrom('Basic', 'Basic ', 'Basic ====', 'Bearer x', 'basic Og==', 'Basic\u0000x')).map((raw) => `raw:${raw}`),
  );

  /** Headers (and body parameters) for an authentication choice. */
  const authenticate = (kind: string | undefined): { headers: Record<string, string>; params: [string, string][] } => {
    if (kind === undefined) return { headers: {}, params: [] };
    if (kind === 'right') return { headers: { authorization: basicAuth(client.clientId, client.secret) }, params: [] };
    if (kind === 'wrong-secret') return { headers: { authorization: basicAuth(client.clientId, `${client.secret.slice(0, -1)}x`) }, params: [] };
    if (kind === 'other') return { headers: { authorization: basicAuth(other.clientId, other.secret) }, params: [] };
    if (kind === 'body') return { headers: {}, params: [['client_id', client.clientId], ['client_secret', 'not-the-secret']] };
    if (kind.startsWith('basic:')) {
      const [id, secret] = JSON.parse(kind.slice(6)) as [string, string];
      return { headers: { authorization: basicAuth(id, secret) }, params: [] };
    }
    const raw = kind.slice(4).replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
    return { headers: { authorization: raw }, params: [] };
  };

  /** Header values fastify.inject accepts (Node refuses control characters other than tab). */
  const cleanHeaders = (headers: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace(/[^\t\x20-\x7e]/g, '')]));

  before(async () => {
    t = await createTestGatehouse();
    client = await createClient(t.gatehouse, { tenant: 'acme', grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI], scope: 'documents:read documents:write', defaultScope: 'documents:read' });
    other = await createClient(t.gatehouse, { tenant: 'globex', grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
    const created = await t.gatehouse.admin.operatorClients.create({ name: 'Automation' });
    operator = { clientId: created.client.id, secret: created.secret!, tenant: '' };
    const userId = (await t.gatehouse.admin.users.create({ tenant: 'acme', username: 'alice', password: 'correct horse battery' })).id;
    // A grant with a refresh token, and a code not yet redeemed: rows a rejected request must not touch.
    const first = await issueCode(t.gatehouse, { clientId: client.clientId, userId, scope: ['documents:read'] });
    const exchanged = await exchangeCode(t.app, client, first.code, { code_verifier: first.verifier });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    refreshToken = (exchanged.json() as TokenPair).refresh_token;
    unredeemedCode = (await issueCode(t.gatehouse, { clientId: client.clientId, userId, scope: ['documents:read'] })).code;
    adminToken = await getToken(t.app, operator);
    documentsToken = await getToken(t.app, client, { scope: 'documents:read documents:write' });
    // A sign-in transaction: its cookie and CSRF token, for the authorization POSTs.
    const { challenge } = pkcePair();
    const start = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'documents:read', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    });
    assert.equal(start.statusCode, 200, start.body.slice(0, 300));
    authorizeCookie = String(start.headers['set-cookie']).split(';', 1)[0]!;
    csrf = /name="csrf_token" value="([^"]+)"/.exec(start.body)?.[1] ?? assert.fail('no CSRF token');
    secrets = [client.secret, other.secret, operator.secret, refreshToken, unredeemedCode, first.verifier!, adminToken, documentsToken, 'correct horse battery', readFileSync(t.gatehouse.masterKey.file, 'utf8').trim()];
    db = new Database(t.config.databaseUrl.replace(/^sqlite:/, ''), { readonly: true });
  });
  after(async () => {
    db?.close();
    await t?.close();
  });

  it('POST /oauth/token: random parameters, encodings, authentication, content types and methods', async () => {
    await assertProperty(
      fc.asyncProperty(
        paramList,
        fc.constantFrom('client_credentials', 'authorization_code', 'refresh_token', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer'),
        fc.constantFrom<'none' | 'code' | 'refresh'>('none', 'code', 'refresh'),
        authentication,
        fc.boolean(),
        fc.oneof({ weight: 4, arbitrary: fc.constant(FORM) }, { weight: 1, arbitrary: contentType }),
        fc.oneof({ weight: 4, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: method }),
        extraHeaders,
        async (pairs, grantType, stolen, auth, raw, type, verb, headers) => {
          const { headers: authHeaders, params: authParams } = authenticate(auth === 'right' && stolen !== 'none' ? 'other' : auth);
          // The real code or refresh token, never with its own client's credentials: a thief's request.
          const real: [string, string][] = stolen === 'code' ? [['code', unredeemedCode]] : stolen === 'refresh' ? [['refresh_token', refreshToken]] : [];
          const payload = encodeParams([['grant_type', grantType], ...real, ...authParams, ...pairs], raw);
          const before = dump();
          const response = await t.app.inject({ method: verb as 'POST', url: '/oauth/token', headers: cleanHeaders({ ...headers, ...(type ? { 'content-type': type } : {}), ...authHeaders }), payload: verb === 'GET' || verb === 'HEAD' ? undefined : payload });
          const context = `${verb} token ${type} ${payload.slice(0, 200)}`;
          check(response, before, context);
          checkOAuthError(response, TOKEN_ERRORS, authHeaders.authorization !== undefined, context);
        },
      ),
    );
  });

  it('POST /oauth/revoke and /oauth/introspect: random tokens and hints, as any caller', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom('/oauth/revoke', '/oauth/introspect'),
        paramList,
        fc.oneof(adversarial, fc.constant('')),
        fc.oneof(adversarial, fc.constantFrom('access_token', 'refresh_token', 'ACCESS_TOKEN', 'id_token')),
        authentication,
        fc.constantFrom('none', 'refresh', 'admin', 'tampered'),
        fc.boolean(),
        fc.oneof({ weight: 4, arbitrary: fc.constant(FORM) }, { weight: 1, arbitrary: contentType }),
        fc.oneof({ weight: 4, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: method }),
        async (url, pairs, token, hint, auth, which, raw, type, verb) => {
          // Another client's token, sent by a client that does not own it: revocation must not touch it (RFC 7009 §2.1).
          const effective = auth === 'right' && which !== 'none' ? 'other' : auth;
          const { headers: authHeaders, params: authParams } = authenticate(effective);
          const value = which === 'refresh' ? refreshToken : which === 'admin' ? adminToken : which === 'tampered' ? `${documentsToken.slice(0, -4)}AAAA` : token;
          const payload = encodeParams([['token', value], ['token_type_hint', hint], ...authParams, ...pairs], raw);
          const before = dump();
          const response = await t.app.inject({ method: verb as 'POST', url, headers: cleanHeaders({ ...(type ? { 'content-type': type } : {}), ...authHeaders }), payload: verb === 'GET' || verb === 'HEAD' ? undefined : payload });
          const context = `${verb} ${url} ${type} ${payload.slice(0, 200)}`;
          check(response, before, context);
          // A revocation that succeeds (200) by its owner is allowed to change the database; by anyone else it must not.
          if (response.statusCode === 200 && url === '/oauth/revoke' && which !== 'none') assert.equal(dump(), before, `${context}: another client's token revoked`);
          if (response.statusCode === 200 && url === '/oauth/introspect' && authHeaders.authorization === undefined) assert.fail(`${context}: introspection without authentication`);
          // RFC 7662 §2.2: another tenant's client learns nothing of the token (globex asking about acme's and the operator's).
          if (response.statusCode === 200 && url === '/oauth/introspect' && effective === 'other' && which !== 'none') assert.deepEqual(response.json(), { active: false }, context);
          checkOAuthError(response, url === '/oauth/revoke' ? REVOKE_ERRORS : INTROSPECT_ERRORS, authHeaders.authorization !== undefined, context);
        },
      ),
    );
  });

  it('GET /oauth/authorize: random queries, raw encodings and repeated parameters', async () => {
    await assertProperty(
      fc.asyncProperty(
        paramList,
        fc.boolean(),
        fc.boolean(),
        fc.oneof(fc.constant(REDIRECT_URI), adversarial),
        fc.oneof(fc.constant('code'), adversarial),
        extraHeaders,
        async (pairs, known, raw, redirectUri, responseType, headers) => {
          const base: [string, string][] = [
            ['response_type', responseType],
            ['client_id', known ? client.clientId : 'unknown'],
            ['redirect_uri', redirectUri],
          ];
          const query = encodeParams([...base, ...pairs], raw);
          const before = dump();
          let response: LightMyRequestResponse;
          try {
            response = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: cleanHeaders(headers) });
          } catch (error) {
            // light-my-request refuses a URL Node would refuse too (e.g. raw non-ASCII); not the server's concern.
            if (raw) return;
            throw error;
          }
          const context = `GET authorize ${query.slice(0, 300)}`;
          check(response, before, context);
          // RFC 6749 §4.1.2.1: an error goes back to a registered redirect URI only, with an RFC code.
          const location = response.headers.location;
          if (typeof location === 'string' && location.startsWith(REDIRECT_URI)) {
            const url = new URL(location);
            const params = new URLSearchParams(url.search || url.hash.slice(1));
            const error = params.get('error');
            if (error !== null) {
              assert.ok(AUTHORIZE_ERRORS.has(error), `${context}: ${error} is not an RFC error code`);
              assert.match(params.get('error_description') ?? '', CHARSET, context);
            }
          } else if (typeof location === 'string') {
            assert.ok(location.startsWith('/') && !location.startsWith('//'), `${context}: redirected to ${location}`);
          }
        },
      ),
    );
  });

  it('POST /oauth/authorize/login and /consent: random forms, with and without the transaction cookie and CSRF token', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom('/oauth/authorize/login', '/oauth/authorize/consent'),
        paramList,
        fc.boolean(),
        fc.boolean(),
        fc.oneof(fc.constantFrom<[string, string][]>([['username', 'alice'], ['password', 'wrong password']], [['decision', 'allow']], [['decision', 'deny']], []), fc.constant([])),
        fc.oneof({ weight: 4, arbitrary: fc.constant(FORM) }, { weight: 1, arbitrary: contentType }),
        extraHeaders,
        async (url, pairs, withCookie, withCsrf, known, type, headers) => {
          const fields: [string, string][] = [...(withCsrf ? ([['csrf_token', csrf]] as [string, string][]) : []), ...known, ...pairs];
          const payload = encodeParams(fields, false);
          const before = dump();
          const response = await t.app.inject({
            method: 'POST',
            url,
            headers: cleanHeaders({ ...headers, ...(type ? { 'content-type': type } : {}), ...(withCookie ? { cookie: authorizeCookie } : {}) }),
            payload,
          });
          const context = `POST ${url} ${type} ${payload.slice(0, 200)}`;
          assert.notEqual(response.statusCode, 404, `${context}: the route exists`);
          check(response, before, context);
          assert.ok(!/[?#&]code=/.test(String(response.headers.location ?? '')), `${context}: no code for a random form`);
        },
      ),
      // A wrong password costs a password hash: fewer runs.
      Math.ceil(RUNS / 2),
    );
  });

  it('the admin API: random methods, paths, queries and bodies, with and without an admin token', async () => {
    const segment = fc.oneof(
      fc.constantFrom('v1', 'tenants', 'clients', 'users', 'scopes', 'keys', 'audit', 'admins', 'operator-clients', 'acme', 'globex', 'rotate', 'rotate-secret', 'disable', 'enable', 'logo', 'openapi.json', '..', '%2e%2e', '%2F', ''),
      adversarial.map((value) => encodeURIComponent(wellFormed(value))),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        paramList,
        method,
        fc.constantFrom('none', 'admin', 'documents', 'garbage'),
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.oneof(paramName, adversarial), adversarial, { maxKeys: 6 })),
        fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentType }),
        async (segments, pairs, verb, who, body, type) => {
          const url = `/admin/api/${segments.join('/')}?${encodeParams(pairs, false)}`;
          // With the admin token, only requests that must fail: no valid body reaches a writing route.
          const sent = who === 'admin' && verb !== 'GET' && verb !== 'HEAD' && verb !== 'OPTIONS' ? (body === undefined ? 'not json' : body) : body;
          const authorization = who === 'admin' ? `Bearer ${adminToken}` : who === 'documents' ? `Bearer ${documentsToken}` : who === 'garbage' ? 'Bearer a.b.c' : undefined;
          const payload = sent === undefined || verb === 'GET' || verb === 'HEAD' ? undefined : typeof sent === 'string' ? sent : JSON.stringify(sent);
          const before = dump();
          const response = await t.app.inject({
            method: verb as 'GET',
            url,
            headers: { ...(payload === undefined ? {} : { 'content-type': type || 'application/json' }), ...(authorization ? { authorization } : {}) },
            ...(payload === undefined ? {} : { payload }),
          });
          const context = `${verb} ${url.slice(0, 200)} as ${who} ${String(payload).slice(0, 200)}`;
          check(response, before, context);
          if (who !== 'admin' && new URL(url, 'http://h').pathname.startsWith('/admin/api/v1/') && response.statusCode < 400 && !url.startsWith('/admin/api/v1/openapi')) assert.fail(`${context}: answered without an admin token`);
          // light-my-request resolves dot segments (`%2e%2e` too, as WHATWG URLs do): a path that leaves /admin/api/ is another route's.
          const inApi = new URL(url, 'http://h').pathname.startsWith('/admin/api/');
          if (inApi && response.statusCode >= 400 && verb !== 'HEAD' && response.body !== '') {
            assert.match(String(response.headers['content-type']), /json/, context);
            const problem = response.json() as { status?: unknown; detail?: unknown; title?: unknown };
            if (problem.status !== undefined) assert.equal(problem.status, response.statusCode, context);
            for (const text of [problem.detail, problem.title]) if (typeof text === 'string') assert.match(text, CHARSET, `${context}: ${text}`);
          }
        },
      ),
    );
  });

  it('the demo API: random methods, paths, tokens, tenants and bodies', async () => {
    const segment = fc.oneof(fc.constantFrom('files', 'tenants', 'publish', 'content', '..', '%2e%2e', 'x', '1', ''), adversarial.map((value) => encodeURIComponent(wellFormed(value))));
    await assertProperty(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        method,
        fc.constantFrom('none', 'documents', 'admin', 'garbage', 'tampered', 'lowercase', 'two'),
        fc.oneof(fc.constant('acme'), fc.constant('globex'), adversarial),
        fc.oneof(fc.constant(undefined), adversarial, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))),
        contentType,
        async (segments, verb, who, tenant, body, type) => {
          const url = `/api/${segments.join('/')}`;
          const authorization = {
            none: undefined,
            documents: `Bearer ${documentsToken}`,
            admin: `Bearer ${adminToken}`,
            garbage: 'Bearer a.b.c',
            tampered: `Bearer ${documentsToken.slice(0, -4)}AAAA`,
            lowercase: `bearer ${documentsToken}`,
            two: `Bearer ${documentsToken} ${documentsToken}`,
          }[who];
          // Only what must fail reaches a writing route with a valid token: no upload is well formed here.
          const payload = verb === 'GET' || verb === 'HEAD' || body === undefined ? undefined : body;
          const before = dump();
          const response = await t.app.inject({
            method: verb as 'GET',
            url,
            headers: cleanHeaders({ ...(payload === undefined ? {} : { 'content-type': type }), ...(authorization ? { authorization } : {}), 'x-tenant': tenant }),
            ...(payload === undefined ? {} : { payload }),
          });
          const context = `${verb} ${url} as ${who} ${type} ${String(payload).slice(0, 100)}`;
          check(response, before, context);
          if ((response.statusCode === 401 || response.statusCode === 403) && new URL(url, 'http://h').pathname.startsWith('/api/')) {
            const challenge = String(response.headers['www-authenticate'] ?? '');
            assert.match(challenge, /^Bearer/, `${context}: ${response.statusCode} without a Bearer challenge`);
            for (const match of challenge.matchAll(/(?:error|error_description|scope)="([^"]*)"/g)) assert.match(match[1]!, CHARSET, `${context}: ${challenge}`);
          }
        },
      ),
    );
  });

  it('the admin API with an admin token: well-formed requests whose values are adversarial', async () => {
    const duration = fc.oneof(fc.integer({ min: -1, max: 2 ** 53 }), adversarial, fc.constantFrom('9999999999y', '0', ' 1 d ', '1e3', '0x10'));
    const uris = fc.array(fc.oneof(adversarial, fc.constantFrom('https://app.example/cb', 'com.example.app:/cb', 'http://127.0.0.1:1/cb', 'https://app.example/%2e%2e/cb', 'https://[::1]/cb', 'https://xn--80ak6aa92e.com/cb', 'app:/cb')), { maxLength: 3 });
    const request = fc.oneof(
      fc.record({ slug: adversarial, name: adversarial }, { requiredKeys: ['slug'] }).map((body) => ['POST', '/tenants', body] as const),
      fc.record({ name: adversarial, branding: fc.record({ accent: adversarial, terms_url: adversarial, privacy_url: adversarial }) }).map((body) => ['PATCH', '/tenants/acme', body] as const),
      fc
        .record(
          {
            name: adversarial,
            grant_types: fc.subarray(['authorization_code', 'client_credentials', 'refresh_token', 'implicit']),
            scope: adversarial,
            default_scope: adversarial,
            redirect_uris: uris,
            public: fc.boolean(),
            access_token_ttl: duration,
          },
          { requiredKeys: ['name'] },
        )
        .map((body) => ['POST', '/tenants/acme/clients', body] as const),
      fc.record({ name: adversarial, redirect_uris: uris, access_token_ttl: duration }).map((body) => ['PATCH', `/tenants/acme/clients/${client.clientId}`, body] as const),
      fc.tuple(adversarial, adversarial).map(([name, description]) => ['PUT', `/tenants/acme/scopes/${encodeURIComponent(wellFormed(name))}`, { description }] as const),
      fc.record({ username: adversarial, password: adversarial }).map((body) => ['POST', '/tenants/acme/users', body] as const),
      fc.record({ grace: duration }).map((body) => ['POST', `/tenants/globex/clients/${other.clientId}/rotate-secret`, body] as const),
      fc.tuple(fc.constantFrom('/audit-events', '/tenants', '/tenants/acme/clients', '/tenants/acme/users', '/keys', '/operator-clients'), paramList).map(([path, pairs]) => ['GET', `${path}?${encodeParams(pairs, false)}`, undefined] as const),
    );
    await assertProperty(
      fc.asyncProperty(request, async ([verb, path, body]) => {
        const url = `/admin/api/v1${path}`;
        const before = dump();
        const response = await t.app.inject({
          method: verb,
          url,
          headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
        const context = `${verb} ${url.slice(0, 200)} ${JSON.stringify(body)?.slice(0, 300)}`;
        if (response.statusCode !== 201 && response.statusCode !== 200) check(response, before, context);
        else assert.ok(!secrets.some((secret) => response.body.includes(secret)), `${context}: a secret in the answer`);
        if (response.statusCode >= 400) {
          const problem = response.json() as { status?: unknown; detail?: unknown; title?: unknown };
          assert.equal(problem.status, response.statusCode, context);
          // Every error body in RFC 6749 §5.2's alphabet (issue 16), problem details included.
          for (const text of [problem.detail, problem.title]) assert.match(String(text), CHARSET, `${context}: ${String(text)}`);
        }
      }),
    );
  });

  it('the demo API: uploads with adversarial file names, media types, field names and framing, then reading them back', async () => {
    await assertProperty(
      fc.asyncProperty(
        adversarial,
        fc.oneof(fc.constantFrom('text/plain', 'text/html', 'image/svg+xml', 'application/octet-stream', 'text/plain; charset=utf-7', ''), adversarial),
        fc.oneof(fc.constant('file'), adversarial),
        fc.oneof(fc.constant(''), adversarial),
        fc.oneof(fc.constant('boundary-7f3a'), fc.constantFrom('"quoted"', 'a'.repeat(71), '-')),
        fc.boolean(),
        async (filename, mimetype, field, content, boundary, closeBoundary) => {
          const clean = (text: string) => wellFormed(text).replace(/[\r\n]/g, ' ');
          const head = `--${boundary}\r\nContent-Disposition: form-data; name="${clean(field)}"; filename="${clean(filename)}"\r\n${mimetype ? `Content-Type: ${clean(mimetype)}\r\n` : ''}\r\n`;
          const payload = Buffer.concat([Buffer.from(head), Buffer.from(wellFormed(content)), Buffer.from(closeBoundary ? `\r\n--${boundary}--\r\n` : '\r\n')]);
          const headers = { authorization: `Bearer ${documentsToken}`, 'x-tenant': 'acme', 'content-type': `multipart/form-data; boundary=${boundary.replace(/^"|"$/g, '')}` };
          const before = dump();
          const response = await t.app.inject({ method: 'POST', url: '/api/files', headers, payload });
          const context = `upload ${JSON.stringify({ filename, mimetype, field, boundary, closeBoundary })}`;
          check(response, before, context);
          if (response.statusCode !== 201) return;
          const id = (response.json() as { id: string }).id;
          for (const path of [`/api/files/${id}`, `/api/files/${id}/content`]) {
            const read = await t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${documentsToken}`, 'x-tenant': 'acme' } });
            assert.equal(read.statusCode, 200, `${context}: ${path} ${read.body.slice(0, 200)}`);
            // Served bytes never run as a page of this origin (its tokens are bearer tokens).
            if (path.endsWith('/content')) {
              assert.equal(read.headers['x-content-type-options'], 'nosniff', context);
              // Whatever media type it claims (text/html included), a download, in a sandbox.
              assert.match(String(read.headers['content-security-policy']), /sandbox/, context);
              const disposition = String(read.headers['content-disposition'] ?? '');
              assert.match(disposition, /^attachment;/, context);
              assert.match(disposition, /^[\x20-\x7E]*$/, context);
            }
          }
          const removed = await t.app.inject({ method: 'DELETE', url: `/api/files/${id}`, headers: { authorization: `Bearer ${documentsToken}`, 'x-tenant': 'acme' } });
          assert.ok(removed.statusCode < 500, removed.body);
        },
      ),
      Math.ceil(RUNS / 2),
    );
  });

  // Found by the properties above (seed 16016), kept as plain cases.
  it('regression: a problem detail carries no control, bidi or non-ASCII character of the input, nor a quote', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/admin/api/v1/tenants', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, payload: JSON.stringify({ slug: '\n\u0011\u202e"x\\y\rhas' }) });
    assert.equal(response.statusCode, 400, response.body);
    const problem = response.json() as { detail: string; field: string };
    assert.match(problem.detail, CHARSET);
    assert.match(problem.detail, /tenant slug/);
    assert.equal(problem.field, 'slug');
  });

  it('regression: a tenant PATCH refused for its branding does not rename the tenant', async () => {
    const before = dump();
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/admin/api/v1/tenants/acme',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Renamed by a refused request', branding: { accent: 'not a colour' } }),
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(dump(), before);
    assert.notEqual((await t.gatehouse.storage.tenants.findTenantBySlug('acme'))?.name, 'Renamed by a refused request');
  });

  it('the database dump sees what a rejected request would change (the check is not vacuous)', async () => {
    const before = dump();
    const response = await postForm(t.app, '/oauth/revoke', { token: refreshToken }, { authorization: basicAuth(client.clientId, client.secret) });
    assert.equal(response.statusCode, 200);
    assert.notEqual(dump(), before);
  });
});
