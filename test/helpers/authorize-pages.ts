/**
 * Drives the authorization endpoint's pages as a browser would (fastify.inject, cookies by
 * hand): GET /oauth/authorize → login form → consent form. Returns the consent POST so a
 * test can send it again.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { FORM } from './http.js';

export interface AuthorizeThroughPagesInput {
  /** The authorization request's query parameters (client_id, redirect_uri, scope, PKCE …); `prompt=consent` unless given, so the consent page always shows. */
  query: Record<string, string>;
  username: string;
  password: string;
  /** Extra consent fields (`tenant` choices); `decision=allow` is added. */
  consent?: [string, string][];
}

export interface AuthorizedThroughPages {
  /** The 302 answer to the consent POST. */
  response: LightMyRequestResponse;
  /** Where it sends the browser. */
  location: URL;
  /** Sends the very same consent POST (same cookie, same fields) again. */
  resendConsent(): Promise<LightMyRequestResponse>;
}

const cookieOf = (response: LightMyRequestResponse, previous?: string): string | undefined => {
  const header = response.headers['set-cookie'];
  if (!header) return previous;
  return (Array.isArray(header) ? header[0]! : String(header)).split(';', 1)[0];
};
const csrfOf = (body: string): string => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail('no CSRF token on the page');

export async function authorizeThroughPages(app: FastifyInstance, input: AuthorizeThroughPagesInput): Promise<AuthorizedThroughPages> {
  const submit = (url: string, cookie: string | undefined, fields: [string, string][]) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...(cookie ? { cookie } : {}) }, payload: new URLSearchParams(fields).toString() });
  const start = await app.inject({ method: 'GET', url: `/oauth/authorize?${new URLSearchParams({ response_type: 'code', prompt: 'consent', ...input.query })}` });
  assert.equal(start.statusCode, 200, start.body.slice(0, 300));
  let cookie = cookieOf(start);
  const login = await submit('/oauth/authorize/login', cookie, [['csrf_token', csrfOf(start.body)], ['username', input.username], ['password', input.password]]);
  cookie = cookieOf(login, cookie);
  let consentPage = login;
  if (login.statusCode === 303 || login.statusCode === 302) {
    consentPage = await app.inject({ method: 'GET', url: String(login.headers.location), headers: { cookie: cookie! } });
    cookie = cookieOf(consentPage, cookie);
  }
  assert.equal(consentPage.statusCode, 200, `${login.statusCode} ${String(login.headers.location)} ${consentPage.body.slice(0, 300)}`);
  const fields: [string, string][] = [['csrf_token', csrfOf(consentPage.body)], ...(input.consent ?? []), ['decision', 'allow']];
  const resendConsent = () => submit('/oauth/authorize/consent', cookie, fields);
  const response = await resendConsent();
  assert.equal(response.statusCode, 302, response.body.slice(0, 300));
  return { response, location: new URL(String(response.headers.location)), resendConsent };
}
