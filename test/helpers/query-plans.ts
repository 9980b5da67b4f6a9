/**
 * The hot-path statements and their query plans (issue 15: every token-endpoint,
 * introspection, refresh and authorization query is an index lookup, O(log n), on both
 * dialects). Reused by test/store/query-plans.test.ts and the benchmark's scale report.
 *
 * - `captureStatements()` records every statement the drivers run in this process (pg's
 *   Client#query, better-sqlite3's statements): also those the store sends without the
 *   query builder, such as the client cache's revision reading.
 * - `HOT_PATH_FLOWS` drive a Gatehouse through each hot path (the HTTP endpoints through
 *   fastify.inject; for the authorization endpoint, whose sign-in pages need a browser,
 *   the store calls it makes).
 * - `explainStatement()` asks the database for each statement's plan and names every
 *   table it reads without an index: SQLite's EXPLAIN QUERY PLAN must show SEARCH …
 *   USING (PRIMARY KEY|INDEX|COVERING INDEX) and never SCAN of a table; PostgreSQL's
 *   EXPLAIN (FORMAT JSON), with sequential scans priced out (`enable_seqscan = off`,
 *   which leaves a Seq Scan in the plan only where no index can serve), must show no Seq Scan.
 */
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { Gatehouse } from '../../packages/server/src/server/context.js';
import type { FastifyInstance } from 'fastify';
import { createClient, introspect, postForm, type TestClient } from './gatehouse.js';
import { basicAuth } from './tokens.js';
import { exchangeCode, issueCode, REDIRECT_URI, refresh, type TokenPair } from './user-delegation.js';

export interface CapturedStatement {
  /** The flow that ran it first (HOT_PATH_FLOWS). */
  flow: string;
  sql: string;
  parameters: unknown[];
}

/** Statements that read or write no table: transaction control, pragmas, settings. */
const NOT_A_QUERY = /^\s*(begin|commit|rollback|savepoint|release|set|pragma|select 1\s*$)/i;

type QueryFunction = (this: pg.Client, ...args: unknown[]) => unknown;
type StatementMethod = (this: { source: string }, ...args: unknown[]) => unknown;

/**
 * Records each distinct statement (by SQL text, with the parameters of its first run) the
 * drivers run until `stop()`; `flow` names what is running now.
 */
export function captureStatements(): { statements: CapturedStatement[]; flow: { name: string }; stop(): void } {
  const statements: CapturedStatement[] = [];
  const seen = new Set<string>();
  const flow = { name: '' };
  const record = (sql: string, parameters: unknown) => {
    if (NOT_A_QUERY.test(sql) || seen.has(sql)) return;
    seen.add(sql);
    statements.push({ flow: flow.name, sql, parameters: Array.isArray(parameters) ? [...(parameters as unknown[])] : [] });
  };
  const clientPrototype = pg.Client.prototype as unknown as { query: QueryFunction };
  const query = clientPrototype.query;
  clientPrototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown];
    if (typeof config === 'string') record(config, values);
    else if (config && typeof config.text === 'string') record(config.text, config.values ?? values);
    return query.apply(this, args);
  };
  const scratch = new BetterSqlite3(':memory:');
  const statementPrototype = Object.getPrototypeOf(scratch.prepare('select 1')) as Record<'all' | 'get' | 'run' | 'iterate', StatementMethod>;
  scratch.close();
  const methods = ['all', 'get', 'run', 'iterate'] as const;
  const originals = methods.map((name) => statementPrototype[name]);
  methods.forEach((name, i) => {
    statementPrototype[name] = function (this: { source: string }, ...args: unknown[]) {
      record(this.source, args.length === 1 && Array.isArray(args[0]) ? args[0] : args);
      return originals[i]!.apply(this, args);
    };
  });
  return {
    statements,
    flow,
    stop() {
      clientPrototype.query = query;
      methods.forEach((name, i) => (statementPrototype[name] = originals[i]!));
    },
  };
}

/** What a hot-path flow needs: the app, a Gatehouse on it, and clients and a user set up beforehand. */
export interface HotPathFixture {
  app: FastifyInstance;
  gatehouse: Gatehouse;
  /** A confidential client allowed client_credentials, authorization_code and refresh_token. */
  client: TestClient;
  /** A resource server that introspects. */
  resourceServer: TestClient;
  userId: string;
}

/** Sets up what the flows use (not a hot path itself: run it before capturing). */
export async function setUpHotPath(app: FastifyInstance, gatehouse: Gatehouse): Promise<HotPathFixture> {
  const tenant = `plans-${randomBytes(3).toString('hex')}`;
  const client = await createClient(gatehouse, { tenant, grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI] });
  const resourceServer = await createClient(gatehouse, { tenant, resourceServer: true });
  const user = await gatehouse.admin.users.create({ tenant, username: `plans-${randomBytes(3).toString('hex')}`, password: 'correct horse battery staple' });
  return { app, gatehouse, client, resourceServer, userId: user.id };
}

async function expectStatus(response: Promise<{ statusCode: number; body: string }>, status: number): Promise<string> {
  const { statusCode, body } = await response;
  if (statusCode !== status) throw new Error(`expected ${status}, got ${statusCode}: ${body}`);
  return body;
}

/** Each hot path, as requests (and, for the authorization endpoint, the store calls it makes). */
export const HOT_PATH_FLOWS: ReadonlyArray<{ name: string; run(fixture: HotPathFixture): Promise<void> }> = [
  {
    name: 'token: client_credentials',
    async run({ app, client }) {
      await expectStatus(postForm(app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret) }), 200);
    },
  },
  {
    name: 'authorization: session, user, tenant, consent, code',
    async run({ gatehouse, client, userId }) {
      const storage = gatehouse.storage;
      await storage.sessions.findSession(randomBytes(16).toString('hex'), Date.now());
      await storage.sessions.touchSession(randomBytes(16).toString('hex'), Date.now(), 60_000);
      await storage.users.findUser(userId);
      await storage.tenants.findTenantBySlug(client.tenant);
      await storage.consents.findConsent(userId, client.clientId);
      await issueCode(gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
    },
  },
  {
    name: 'token: authorization_code, refresh_token; introspection; revocation',
    async run({ app, gatehouse, client, resourceServer, userId }) {
      const { code, verifier } = await issueCode(gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
      const exchanged = JSON.parse(await expectStatus(exchangeCode(app, client, code, { code_verifier: verifier }), 200)) as TokenPair;
      // A replayed code: the grant it issued is revoked (RFC 6749 §4.1.2).
      const { code: second, verifier: secondVerifier } = await issueCode(gatehouse, { clientId: client.clientId, userId, tenants: [client.tenant] });
      await expectStatus(exchangeCode(app, client, second, { code_verifier: secondVerifier }), 200);
      await expectStatus(exchangeCode(app, client, second, { code_verifier: secondVerifier }), 400);
      const rotated = JSON.parse(await expectStatus(refresh(app, client, exchanged.refresh_token), 200)) as TokenPair;
      await introspect(app, resourceServer, rotated.access_token);
      await introspect(app, resourceServer, rotated.refresh_token);
      await expectStatus(postForm(app, '/oauth/revoke', { token: rotated.access_token }, { authorization: basicAuth(client.clientId, client.secret) }), 200);
      await introspect(app, resourceServer, rotated.access_token);
      await expectStatus(postForm(app, '/oauth/revoke', { token: rotated.refresh_token }, { authorization: basicAuth(client.clientId, client.secret) }), 200);
      // Reuse of a rotated refresh token: the family is revoked (RFC 9700 §4.14.2).
      await expectStatus(refresh(app, client, exchanged.refresh_token), 400);
    },
  },
  {
    name: 'revocation feed: a resource server polls (docs/resource-server.md)',
    async run({ app, resourceServer }) {
      for (const since of ['0', '1']) {
        await expectStatus(app.inject({ method: 'GET', url: `/oauth/revocations?since=${since}`, headers: { authorization: basicAuth(resourceServer.clientId, resourceServer.secret) } }), 200);
      }
    },
  },
];

export interface ExplainedStatement extends CapturedStatement {
  /** The plan as the database prints it (one line per step). */
  plan: string[];
  /** Tables read without an index (empty: every table access is an index lookup). */
  scans: string[];
}

/** The query plan of `statement` on the database at `url` (read only: writes are explained, never run). */
export async function explainStatement(url: string, statement: CapturedStatement): Promise<ExplainedStatement> {
  if (url.startsWith('sqlite:')) {
    const database = new BetterSqlite3(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try {
      const rows = database.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...(statement.parameters as unknown[])) as { detail: string }[];
      const plan = rows.map((row) => row.detail);
      // "SCAN <table>" reads every row; SEARCH … USING … INDEX is a lookup. (SCAN CONSTANT ROW is no table.)
      const scans = plan.filter((detail) => /^SCAN (?!CONSTANT ROW)/.test(detail) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(detail));
      return { ...statement, plan, scans };
    } finally {
      database.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('set local enable_seqscan = off');
    const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`explain (format json) ${statement.sql}`, statement.parameters);
    const plan: string[] = [];
    const scans: string[] = [];
    const walk = (node: PlanNode, depth: number) => {
      plan.push(`${'  '.repeat(depth)}${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`);
      if (node['Node Type'] === 'Seq Scan') scans.push(node['Relation Name'] ?? '?');
      for (const child of node.Plans ?? []) walk(child, depth + 1);
    };
    walk(result.rows[0]!['QUERY PLAN'][0].Plan, 0);
    return { ...statement, plan, scans };
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
