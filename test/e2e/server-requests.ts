/**
 * Requests the end-to-end suites make of real `gatehouse serve` processes
 * (test/e2e/server.test.ts, test/e2e/two-servers.test.ts).
 */
import assert from 'node:assert/strict';
import type { JSONWebKeySet } from 'jose';
import { getUrl, type HttpResult, postForm } from '../helpers/http.js';
import type { ServerProcess } from '../helpers/process.js';
import { basicAuth } from '../helpers/tokens.js';

export interface CreatedClient {
  client_id: string;
  client_secret: string;
}

export interface Credentials {
  id: string;
  secret: string;
}

export const INACTIVE = '{"active":false}';

export function tokenRequest(server: ServerProcess, client: Credentials, extra: Record<string, string> = {}): Promise<HttpResult> {
  return postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', ...extra }, { authorization: basicAuth(client.id, client.secret) });
}

export async function getToken(server: ServerProcess, client: Credentials, extra: Record<string, string> = {}): Promise<string> {
  const response = await tokenRequest(server, client, extra);
  assert.equal(response.status, 200, `token request to ${server.url} failed: ${response.status} ${response.text}`);
  const token = response.json?.access_token;
  assert.equal(typeof token, 'string');
  return token as string;
}

export async function introspect(server: ServerProcess, caller: Credentials, token: string): Promise<HttpResult> {
  const response = await postForm(`${server.url}/oauth/introspect`, { token }, { authorization: basicAuth(caller.id, caller.secret) });
  assert.equal(response.status, 200, `introspection at ${server.url} failed: ${response.status} ${response.text}`);
  return response;
}

export async function jwks(server: ServerProcess): Promise<JSONWebKeySet> {
  const response = await getUrl(`${server.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return JSON.parse(response.text) as JSONWebKeySet;
}

export function credentialsOf(created: CreatedClient): Credentials {
  assert.match(created.client_secret, /^gatehouse_secret_/);
  return { id: created.client_id, secret: created.client_secret };
}

