/** HTTP in tests: requests to a listening server (fetch, the real curl), and scripted answers. */
import { execFile } from 'node:child_process';

export const FORM = 'application/x-www-form-urlencoded';

/** An application/x-www-form-urlencoded body. */
export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** A web Response with a JSON body, as a scripted `fetch` answers. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

/** POST an application/x-www-form-urlencoded body to a running server. */
export async function postForm(url: string, body: Record<string, string> | string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: typeof body === 'string' ? body : form(body),
    signal: AbortSignal.timeout(10_000),
  });
  return readResponse(response);
}

export async function getUrl(url: string): Promise<HttpResult> {
  return readResponse(await fetch(url, { signal: AbortSignal.timeout(10_000) }));
}

/** A fetch Response read whole: status, headers, text, and its JSON when it parses. */
export async function readResponse(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export interface CurlResult {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
}

/** Runs the real curl binary with `args` (add -i to get the headers back) and parses its output. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile('curl', args, { timeout: 15_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      let rest = stdout;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (!rest.startsWith('HTTP/') || end === -1) {
          reject(new Error(`curl output has no HTTP status line (did you pass -i?): ${stdout}`));
          return;
        }
        const [statusLine, ...headerLines] = rest.slice(0, end).split('\r\n');
        const status = Number(statusLine!.split(' ')[1]);
        rest = rest.slice(end + 4);
        if (status === 100) continue;
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        resolve({ status, headers, body: rest });
        return;
      }
    });
  });
}
