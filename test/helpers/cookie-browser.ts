/**
 * A browser as far as cookies and forms go, over fastify.inject: it keeps the cookies a
 * response sets (and drops those set with Max-Age=0), sends them back, and reads forms'
 * CSRF tokens. For the pages of /oauth/authorize and /account.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { FORM } from './http.js';

export class CookieBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly app: FastifyInstance) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** The Set-Cookie values of a response, as sent. */
  static setCookies(response: LightMyRequestResponse): string[] {
    const header = response.headers['set-cookie'];
    return header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  }

  private absorb(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const line of CookieBrowser.setCookies(response)) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.absorb(await this.app.inject({ method: 'GET', url, headers: this.cookies.size > 0 ? { cookie: this.cookieHeader } : {} }));
  }

  /** POSTs a form with this browser's cookies (and `headers`, e.g. the Origin a browser would add). */
  async post(url: string, fields: [string, string][] | Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const payload = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields)).toString();
    return this.absorb(
      await this.app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...(this.cookies.size > 0 ? { cookie: this.cookieHeader } : {}), ...headers }, payload }),
    );
  }

  /** Another browser sharing nothing with this one. */
  fresh(app = this.app): CookieBrowser {
    return new CookieBrowser(app);
  }
}

/** The CSRF token of the (first) form of a page. */
export const csrfOf = (body: string): string => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail(`no CSRF token in ${body.slice(0, 300)}`);

/** The Location of a redirect, as a URL (relative ones against the test issuer). */
export function locationOf(response: LightMyRequestResponse, status = 302): URL {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  return new URL(String(response.headers.location), 'http://127.0.0.1:8080');
}
