/**
 * Signing in to the dashboard through fastify.inject, as a browser would: the real login
 * page, its CSRF token and its cookies (test/server/dashboard*.test.ts).
 */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { postForm, type TestGatehouse } from './gatehouse.js';

/** A signed-in admin: its session cookie and the CSRF token its pages carry. */
export interface DashboardAdmin {
  cookie: string;
  csrf: string;
}

/** The `name=value` pairs of the Set-Cookie headers merged into `previous`, as a Cookie header (Max-Age=0 removes one). */
export function cookieHeader(response: LightMyRequestResponse, previous = ''): string {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const jar = new Map(previous.split('; ').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair] as const));
  for (const line of lines) {
    const pair = line.split(';', 1)[0]!;
    const name = pair.slice(0, pair.indexOf('='));
    if (/Max-Age=0/i.test(line)) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join('; ');
}

/** The CSRF token of the first form on the page. */
export function csrfOf(html: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page carries a CSRF token');
  return match[1]!;
}

/** Submits the real login form; returns the response and the cookies it set. */
export async function submitDashboardLogin(t: TestGatehouse, username: string, password: string): Promise<{ response: LightMyRequestResponse; cookie: string }> {
  const login = await t.app.inject({ method: 'GET', url: '/admin/login' });
  assert.equal(login.statusCode, 200, login.body);
  const cookie = cookieHeader(login);
  const response = await postForm(t.app, '/admin/login', { csrf_token: csrfOf(login.body), username, password }, { cookie });
  return { response, cookie: cookieHeader(response, cookie) };
}

/** Signs in through the real login page and opens the home page (where the session's CSRF token is read). */
export async function signInToDashboard(t: TestGatehouse, username: string, password: string): Promise<DashboardAdmin> {
  const { response, cookie } = await submitDashboardLogin(t, username, password);
  assert.equal(response.statusCode, 303, response.body);
  const home = await t.app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  assert.equal(home.statusCode, 200, home.body);
  return { cookie, csrf: csrfOf(home.body) };
}
