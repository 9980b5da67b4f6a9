/**
 * Issue 15, cluster guarantees: a secret rotation, a client disabled, a token revoked or
 * a signing key rotated on one process (through the admin API with an operator's
 * gatehouse:admin token, or the CLI on the same database) is enforced by the other
 * process and by `@gatehouse-auth/resource` verifiers following the revocation feed
 * within one second (docs/architecture.md); the new key is used and published by both.
 *
 * "Within one second" is a behavioural deadline: each check polls until it holds and
 * fails after 1 s plus slack for a loaded machine (SLACK_MS), never measures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createVerifier, type Verifier } from '../../packages/resource/src/index.js';
import { runCli } from '../cli/in-process.js';
import { getUrl, readResponse, type HttpResult } from '../helpers/http.js';
import { jwtHeader } from '../helpers/tokens.js';
import {
  AUDIENCE,
  CLUSTER_ISSUER,
  fetchVia,
  getToken,
  introspect,
  post,
  SKIP_CLUSTER,
  startCluster,
  within,
  type Cluster,
  type Credentials,
} from './cluster.js';

/** One second, plus slack for two cores shared by many test processes. */
const DEADLINE_MS = 1000 + 1500;

describe('two gatehouse serve processes on one PostgreSQL: a change on one is enforced everywhere within a second', { skip: SKIP_CLUSTER }, () => {
  let cluster: Cluster;
  let operatorToken: string;
  let auditor: Credentials;
  const verifiers: Verifier[] = [];

  const A = () => cluster.servers[0]!;
  const B = () => cluster.servers[1]!;

  before(async () => {
    cluster = await startCluster();
    const { admin } = cluster.operator;
    await admin.tenants.create({ slug: 'acme' });
    const operatorClient = await admin.operatorClients.create({ name: 'Automation' });
    operatorToken = await getToken(A(), { clientId: operatorClient.client.id, secret: operatorClient.secret! });
    const introspector = await admin.clients.create({ name: 'Auditor', tenant: 'acme', scope: 'documents:read' });
    auditor = { clientId: introspector.client.id, secret: introspector.secret! };
    await admin.tenants.create({ slug: 'provider' });
    const rs = await admin.clients.create({ name: 'Document API', tenant: 'provider', resourceServer: true });
    // One verifier behind each process: each reads metadata, keys and the revocation feed from its own.
    for (const server of [A(), B()]) {
      const verifier = createVerifier({
        issuer: CLUSTER_ISSUER,
        audience: AUDIENCE,
        fetch: fetchVia(server),
        revocationFeed: { clientId: rs.client.id, clientSecret: rs.secret! },
      });
      verifiers.push(verifier);
      await verifier.ready();
    }
  });
  after(async () => {
    await Promise.allSettled(verifiers.map((verifier) => verifier.close()));
    await cluster?.close();
  });

  const newClient = async (name: string): Promise<Credentials> => {
    const created = await cluster.operator.admin.clients.create({ name, tenant: 'acme', scope: 'documents:read' });
    return { clientId: created.client.id, secret: created.secret! };
  };
  const adminCall = async (method: string, path: string, body?: unknown): Promise<HttpResult> => {
    const response = await fetch(`${A().url}/admin/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${operatorToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return readResponse(response);
  };
  const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, url: '/files' });
  const accepted = async (verifier: Verifier, token: string) => verifier.verify(request(token)).then(() => true, () => false);

  /** `token` is refused everywhere within the deadline: introspection on A and B, both verifiers. */
  async function deadEverywhere(token: string, what: string): Promise<void> {
    await Promise.all([
      ...[A(), B()].map((server) =>
        within(`${what}: {"active":false} on ${server.url}`, DEADLINE_MS, async () => (await introspect(server, auditor, token)).active === false),
      ),
      ...verifiers.map((verifier, i) => within(`${what}: refused by the verifier behind process ${i + 1}`, DEADLINE_MS, async () => !(await accepted(verifier, token)))),
    ]);
    for (const server of [A(), B()]) assert.deepEqual(await introspect(server, auditor, token), { active: false });
    for (const verifier of verifiers) {
      await assert.rejects(verifier.verify(request(token)), (error: { status?: number; code?: string }) => {
        assert.equal(error.status, 401);
        assert.equal(error.code, 'invalid_token');
        return true;
      });
    }
  }

  /** `client` gets 401 invalid_client on both processes within the deadline. */
  async function refusedEverywhere(client: Credentials, what: string): Promise<void> {
    for (const server of [A(), B()]) {
      await within(`${what}: 401 on ${server.url}`, DEADLINE_MS, async () => (await post(server, '/oauth/token', { grant_type: 'client_credentials' }, client)).status === 401);
      const response = await post(server, '/oauth/token', { grant_type: 'client_credentials' }, client);
      assert.equal(response.status, 401, response.text);
      assert.equal(response.json?.error, 'invalid_client');
    }
  }

  it('a secret rotated on A through the admin API: B and the verifiers refuse the old secret and its tokens; the new secret works on both', async () => {
    const client = await newClient('Rotated');
    const token = await getToken(B(), client);
    for (const verifier of verifiers) assert.ok(await accepted(verifier, token), 'accepted before the rotation');
    // B has the client record in memory now.
    await getToken(B(), client);

    const rotated = await adminCall('POST', `/tenants/acme/clients/${client.clientId}/rotate-secret`, {});
    assert.equal(rotated.status, 200, rotated.text);
    const next = { clientId: client.clientId, secret: rotated.json!.client_secret as string };
    // The client record is exact on every process (the storage contract: findClient sees every
    // change committed before the call began): the very next request to B is refused.
    const first = await post(B(), '/oauth/token', { grant_type: 'client_credentials' }, client);
    assert.equal(first.status, 401, `the first request to B after the rotation: ${first.status} ${first.text}`);

    await refusedEverywhere(client, 'the old secret');
    await deadEverywhere(token, 'a token issued before the rotation');
    for (const server of [A(), B()]) {
      const fresh = await getToken(server, next);
      assert.equal((await introspect(server === A() ? B() : A(), auditor, fresh)).active, true);
      for (const verifier of verifiers) assert.ok(await accepted(verifier, fresh), 'a token of the new secret is accepted');
    }
  });

  it('a client disabled by the CLI on the same database: both processes refuse it, its tokens die everywhere', async () => {
    const client = await newClient('Disabled');
    const token = await getToken(A(), client);
    await getToken(B(), client);
    const disabled = await runCli(['client', 'disable', client.clientId, '--db', cluster.operator.config.databaseUrl], { env: cluster.env });
    assert.equal(disabled.code, 0, disabled.stderr);
    await refusedEverywhere(client, 'a disabled client');
    await deadEverywhere(token, "a disabled client's token");
  });

  it('a client disabled on A through the admin API: the same', async () => {
    const client = await newClient('Disabled by API');
    const token = await getToken(B(), client);
    const patched = await adminCall('PATCH', `/tenants/acme/clients/${client.clientId}`, { disabled: true });
    assert.equal(patched.status, 200, patched.text);
    await refusedEverywhere(client, 'a client disabled through the admin API');
    await deadEverywhere(token, "a disabled client's token");
  });

  it('an access token revoked on A (RFC 7009) is inactive on B and refused by both verifiers; other tokens of the client live on', async () => {
    const client = await newClient('Revoking');
    const token = await getToken(B(), client);
    const other = await getToken(B(), client);
    const revoked = await post(A(), '/oauth/revoke', { token }, client);
    assert.equal(revoked.status, 200, revoked.text);
    await deadEverywhere(token, 'a revoked access token');
    assert.equal((await introspect(B(), auditor, other)).active, true);
    for (const verifier of verifiers) assert.ok(await accepted(verifier, other), 'another token of the client is still accepted');
  });

  it('a signing key rotated on A through the admin API: both processes sign with it and publish it; the verifiers accept its tokens and the old ones', async () => {
    const client = await newClient('Key rotation');
    const before = await getToken(A(), client);
    const oldKid = jwtHeader(before).kid as string;
    const rotated = await adminCall('POST', '/keys/rotate', { alg: 'RS256' });
    assert.equal(rotated.status, 201, rotated.text);
    const newKid = rotated.json!.kid as string;
    assert.notEqual(newKid, oldKid);

    for (const server of [A(), B()]) {
      await within(`${server.url} signs with the new key`, DEADLINE_MS, async () => jwtHeader(await getToken(server, client)).kid === newKid);
      const published = JSON.parse((await getUrl(`${server.url}/.well-known/jwks.json`)).text) as JSONWebKeySet;
      const kids = published.keys.map((key) => key.kid);
      assert.ok(kids.includes(oldKid) && kids.includes(newKid), `the JWKS of ${server.url} lists ${kids.join(', ')}`);
      const token = await getToken(server, client);
      assert.equal(jwtHeader(token).alg, 'RS256');
      const set = createLocalJWKSet(published);
      await jwtVerify(token, set, { issuer: CLUSTER_ISSUER, audience: AUDIENCE, typ: 'at+jwt' });
      await jwtVerify(before, set, { issuer: CLUSTER_ISSUER, audience: AUDIENCE, typ: 'at+jwt' });
      for (const [i, verifier] of verifiers.entries()) {
        // A verifier behind the other process may have fetched that process's JWKS a moment
        // before it loaded the new key (each process reloads keys every second, a verifier
        // refetches on an unknown kid at most every second): within the deadline, it accepts.
        await within(`the verifier behind process ${i + 1} accepts a token signed with the new key`, DEADLINE_MS, () => accepted(verifier, token));
        assert.ok(await accepted(verifier, before), 'a token signed with the old key is still accepted');
      }
    }
  });
});
