import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { codeDigestKey, digestCode, generateAuthorizationCode } from '../../packages/server/src/core/authorization-codes.js';
import type { Gatehouse } from '../../packages/server/src/server/context.js';
import { postForm, type TestClient } from './gatehouse.js';
import { basicAuth, pkcePair } from './tokens.js';

export const REDIRECT_URI = 'https://app.example.com/callback';

export interface IssueCodeInput {
  clientId: string;
  userId: string;
  scope?: string[];
  tenants?: string[];
  /** Default REDIRECT_URI; null: the authorization request left redirect_uri out. */
  redirectUri?: string | null;
  /** undefined: a fresh S256 challenge; null: no challenge. */
  challenge?: string | null;
  expiresAt?: number;
}

/**
 * Stores an authorization code as the authorization endpoint would (it is not built
 * yet): only its digest, under the key derived from the master key.
 */
export async function issueCode(gatehouse: Gatehouse, input: IssueCodeInput): Promise<{ code: string; verifier: string | undefined }> {
  const code = generateAuthorizationCode();
  const pair = pkcePair();
  const challenge = input.challenge === undefined ? pair.challenge : input.challenge;
  const now = Date.now();
  await gatehouse.storage.codes.createCode({
    codeDigest: digestCode(code, codeDigestKey(gatehouse.masterKey.key)),
    clientId: input.clientId,
    userId: input.userId,
    redirectUri: input.redirectUri === undefined ? REDIRECT_URI : input.redirectUri,
    scope: input.scope ?? ['documents:read'],
    tenants: input.tenants ?? [],
    codeChallenge: challenge,
    codeChallengeMethod: challenge === null ? null : 'S256',
    authTime: now,
    expiresAt: input.expiresAt ?? now + 60_000,
  });
  return { code, verifier: input.challenge === undefined ? pair.verifier : undefined };
}

/** POST /oauth/token as `client` (HTTP Basic for a confidential client, client_id in the body for a public one). */
export function tokenRequest(app: FastifyInstance, client: TestClient | { clientId: string }, params: Record<string, string>): Promise<LightMyRequestResponse> {
  if ('secret' in client) return postForm(app, '/oauth/token', params, { authorization: basicAuth(client.clientId, client.secret) });
  return postForm(app, '/oauth/token', { ...params, client_id: client.clientId });
}

export function exchangeCode(
  app: FastifyInstance,
  client: TestClient | { clientId: string },
  code: string,
  extra: Record<string, string | undefined> = {},
): Promise<LightMyRequestResponse> {
  const params: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete params[name];
    else params[name] = value;
  }
  return tokenRequest(app, client, params);
}

export function refresh(app: FastifyInstance, client: TestClient | { clientId: string }, refreshToken: string, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return tokenRequest(app, client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope?: string;
  token_type: string;
}
