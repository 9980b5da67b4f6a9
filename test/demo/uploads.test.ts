/**
 * Uploads to the demo API: the size limit, malformed bodies, and that a failed upload
 * leaves neither bytes nor a row behind.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { DocumentApiSettingsError, readDocumentApiSettings } from '@gatehouse-auth/example-document-api';
import { createTestGatehouse, TEST_ISSUER, type TestGatehouse } from '../helpers/gatehouse.js';
import { sleep } from '../helpers/timing.js';
import { caller, createTenantClient, filesDatabase, multipart, storedFileNames, upload, type ApiCaller } from './helpers.js';

const LIMIT = 1024;

describe('demo API: uploads', () => {
  let t: TestGatehouse;
  let acme: ApiCaller;

  before(async () => {
    t = await createTestGatehouse({ env: { GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: String(LIMIT) } });
    acme = await caller(t.app, await createTenantClient(t.gatehouse, 'acme', 'Acme Corp'));
  });
  after(() => t.close());

  const listed = async () => ((await t.app.inject({ method: 'GET', url: '/api/files', headers: acme.headers() })).json() as { files: { id: string }[] }).files;

  /** Runs `attempt` and checks that it changed nothing: no row, no file, no temporary file. */
  async function leavesNothing(attempt: () => Promise<void>): Promise<void> {
    const filesBefore = storedFileNames(t.dir);
    const rowsBefore = await listed();
    await attempt();
    assert.deepEqual(storedFileNames(t.dir), filesBefore, 'no bytes left behind');
    assert.deepEqual(await listed(), rowsBefore, 'no row left behind');
  }

  it('a file of exactly the limit is accepted', async () => {
    const response = await upload(t.app, acme, 'x'.repeat(LIMIT));
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((response.json() as { size: number }).size, LIMIT);
  });

  it('one byte over the limit: 413 with a clear JSON error, and no bytes or row left behind', async () => {
    await leavesNothing(async () => {
      const response = await upload(t.app, acme, 'x'.repeat(LIMIT + 1));
      assert.equal(response.statusCode, 413);
      const body = response.json() as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description, new RegExp(`larger than the upload limit of ${LIMIT} bytes`));
    });
  });

  it('far over the limit: the same 413', async () => {
    await leavesNothing(async () => {
      const response = await upload(t.app, acme, Buffer.alloc(LIMIT * 64, 7));
      assert.equal(response.statusCode, 413);
    });
  });

  it('the limit is the maxUploadBytes setting, 10 MiB by default, read from GATEHOUSE_DEMO_MAX_UPLOAD_BYTES', () => {
    assert.equal(readDocumentApiSettings({}, TEST_ISSUER).maxUploadBytes, 10 * 1024 * 1024);
    assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '2048' }, TEST_ISSUER).maxUploadBytes, 2048);
    assert.equal(readDocumentApiSettings({ GATEHOUSE_DEMO_API: 'false' }, TEST_ISSUER).enabled, false);
    assert.throws(() => readDocumentApiSettings({ GATEHOUSE_DEMO_MAX_UPLOAD_BYTES: '0' }, TEST_ISSUER), (error: unknown) => error instanceof DocumentApiSettingsError && /GATEHOUSE_DEMO_MAX_UPLOAD_BYTES/.test(error.message));
  });

  it('refuses bodies that are not one file in the field "file" with 400, leaving nothing behind', async () => {
    const cases: { what: string; headers: Record<string, string>; payload: string | Buffer }[] = [
      { what: 'a JSON body', headers: { 'content-type': 'application/json' }, payload: '{"file":"x"}' },
      { what: 'a form body', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'file=x' },
      { what: 'a body of no known type', headers: { 'content-type': 'application/octet-stream' }, payload: 'x' },
      { what: 'no body', headers: {}, payload: '' },
      { what: 'multipart without a boundary', headers: { 'content-type': 'multipart/form-data' }, payload: 'x' },
      { what: 'multipart that is not multipart', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, payload: 'garbage without any boundary' },
      { what: 'a truncated part', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, payload: '--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a fi' },
      { what: 'no file part, only a field', ...multipart([{ name: 'file', content: 'not a file: no filename' }]) },
      { what: 'the file in another field', ...multipart([{ name: 'upload', filename: 'a.txt', content: 'x' }]) },
      {
        what: 'two files',
        ...multipart([
          { name: 'file', filename: 'a.txt', content: 'first' },
          { name: 'file', filename: 'b.txt', content: 'second' },
        ]),
      },
      { what: 'a field named like an Object.prototype member', ...multipart([{ name: '__proto__', content: 'x' }, { name: 'file', filename: 'a.txt', content: 'x' }]) },
    ];
    for (const { what, headers, payload } of cases) {
      await leavesNothing(async () => {
        const response = await t.app.inject({ method: 'POST', url: '/api/files', headers: { ...acme.headers(), ...headers }, payload });
        assert.equal(response.statusCode, 400, `${what}: ${response.statusCode} ${response.body}`);
        assert.equal((response.json() as { error: string }).error, 'invalid_request', what);
      });
    }
  });

  it('ignores other form fields next to the file', async () => {
    const body = multipart([
      { name: 'note', content: 'hello' },
      { name: 'file', filename: 'with-fields.txt', contentType: 'text/plain', content: 'payload' },
      { name: 'after', content: 'bye' },
    ]);
    const response = await t.app.inject({ method: 'POST', url: '/api/files', headers: { ...acme.headers(), ...body.headers }, payload: body.payload });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((response.json() as { size: number }).size, 7);
  });

  it('an empty file, a missing or odd file name and a bogus media type are stored sanely', async () => {
    const response = await upload(t.app, acme, [{ name: 'file', filename: '', contentType: 'not a type\u0000', content: '' }]);
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json() as { name: string; size: number; content_type: string };
    assert.deepEqual([body.name, body.size, body.content_type], ['file', 0, 'application/octet-stream']);
    const traversal = await upload(t.app, acme, [{ name: 'file', filename: '../../etc/passwd', contentType: 'text/plain', content: 'x' }]);
    assert.equal((traversal.json() as { name: string }).name, 'passwd');
    const withParameters = await upload(t.app, acme, [{ name: 'file', filename: 'a.txt', contentType: 'Text/Plain; charset=UTF-8', content: 'x' }]);
    assert.equal((withParameters.json() as { content_type: string }).content_type, 'text/plain');
  });

  describe('over a real connection', () => {
    let port: number;
    before(async () => {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      port = (t.app.server.address() as { port: number }).port;
    });

    it('an upload streamed in many chunks past the limit gets 413 and leaves nothing behind', async () => {
      await leavesNothing(async () => {
        const body = multipart([{ name: 'file', filename: 'big.bin', content: Buffer.alloc(LIMIT * 200, 1) }]);
        const response = await fetch(`http://127.0.0.1:${port}/api/files`, {
          method: 'POST',
          headers: { ...acme.headers(), ...body.headers },
          // A stream: sent in chunks, not as one buffer.
          body: new Blob([body.payload]).stream(),
          duplex: 'half',
        } as RequestInit);
        assert.equal(response.status, 413);
        assert.match(((await response.json()) as { error_description: string }).error_description, /upload limit/);
      });
    });

    it('a client that disconnects in the middle of an upload leaves no bytes behind', async () => {
      const filesBefore = storedFileNames(t.dir);
      const body = multipart([{ name: 'file', filename: 'cut.bin', content: Buffer.alloc(LIMIT - 10, 2) }]);
      const head = [
        'POST /api/files HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `Authorization: ${acme.headers().authorization}`,
        'X-Tenant: acme',
        `Content-Type: ${body.headers['content-type']}`,
        `Content-Length: ${body.payload.length}`,
        '',
        '',
      ].join('\r\n');
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(head);
          socket.write(body.payload.subarray(0, Math.floor(body.payload.length / 2)), async () => {
            // Cut the connection once the server is writing the upload to a temporary file.
            const deadline = Date.now() + 5_000;
            while (Date.now() < deadline && !storedFileNames(t.dir).some((name) => name.endsWith('.tmp'))) await sleep(10);
            const started = storedFileNames(t.dir).some((name) => name.endsWith('.tmp'));
            socket.destroy();
            if (started) resolve();
            else reject(new Error('the server never started writing the upload'));
          });
        });
        socket.on('error', reject);
      });
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && storedFileNames(t.dir).length !== filesBefore.length) await sleep(20);
      assert.deepEqual(storedFileNames(t.dir), filesBefore, 'the temporary file is removed');
      assert.ok(!(await listed()).some((file) => !filesBefore.includes(file.id)), 'no row');
    });
  });

  it('when the database refuses the row, the bytes are removed too (503, nothing left behind)', async () => {
    // The example's own SQLite file, through a second connection: the trigger is seen by the API's.
    const database = new BetterSqlite3(filesDatabase(t.dir));
    database.exec("create trigger demo_fail_insert before insert on files begin select raise(abort, 'simulated failure'); end");
    try {
      await leavesNothing(async () => {
        const response = await upload(t.app, acme, 'never stored');
        assert.equal(response.statusCode, 503);
        assert.equal((response.json() as { error: string }).error, 'temporarily_unavailable');
      });
    } finally {
      database.exec('drop trigger demo_fail_insert');
      database.close();
    }
    assert.equal((await upload(t.app, acme, 'stored again')).statusCode, 201, 'uploads work again afterwards');
  });
});
