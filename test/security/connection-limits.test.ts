/**
 * Issue 16 (Low): slow clients cannot hold sockets for Node's minutes, and one process
 * accepts a bounded number of connections. The settings reach the listening server, a
 * client that never finishes its headers is answered 408 and cut, and a connection
 * beyond maxConnections is closed unanswered. (No timing assertion: the tests wait for
 * what happens, however long the machine takes.)
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { configFromEnv, loadConfig } from '../../packages/server/src/core/config.js';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

/** Opens a raw connection and collects what the server sends until it closes it. */
function openSocket(port: number): { socket: Socket; connected: Promise<void>; closed: Promise<string> } {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  return {
    socket,
    connected: new Promise((resolve) => socket.once('connect', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', () => resolve(received))),
  };
}

const portOf = (t: TestGatehouse) => (t.app.server.address() as AddressInfo).port;

describe('connection limits', () => {
  describe('defaults', () => {
    it('are 10s for headers, 30s for a request, 5s keep-alive and 4096 connections', async () => {
      const t = await createTestGatehouse();
      try {
        assert.equal(t.app.server.headersTimeout, 10_000);
        assert.equal(t.app.server.requestTimeout, 30_000);
        assert.equal(t.app.server.keepAliveTimeout, 72_000);
        assert.equal(t.app.server.maxConnections, 4096);
      } finally {
        await t.close();
      }
    });

    it('refuse a headers timeout longer than the request timeout, and read durations', () => {
      assert.throws(() => loadConfig({ headersTimeout: 60, requestTimeout: 30 }), /headersTimeout \(60s\) exceeds requestTimeout \(30s\)/);
      assert.equal(loadConfig(configFromEnv({ GATEHOUSE_REQUEST_TIMEOUT: '2m', GATEHOUSE_HEADERS_TIMEOUT: '15s' })).requestTimeout, 120);
    });
  });

  describe('configured', () => {
    let t: TestGatehouse;

    before(async () => {
      t = await createTestGatehouse({ config: { headersTimeout: 1, requestTimeout: 2, keepAliveTimeout: 3, maxConnections: 3 } });
      await t.app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(() => t.close());

    it('reach the listening server', () => {
      assert.equal(t.app.server.headersTimeout, 1000);
      assert.equal(t.app.server.requestTimeout, 2000);
      assert.equal(t.app.server.keepAliveTimeout, 3000);
      assert.equal(t.app.server.maxConnections, 3);
    });

    it('cut a client that never finishes its headers, with 408', async () => {
      const slow = openSocket(portOf(t));
      await slow.connected;
      slow.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      const received = await slow.closed;
      assert.match(received, /^HTTP\/1\.1 408 /);
    });

    it('close a connection beyond maxConnections unanswered, and serve again once below', async () => {
      const held = [openSocket(portOf(t)), openSocket(portOf(t)), openSocket(portOf(t))];
      await Promise.all(held.map((open) => open.connected));
      const count = () => new Promise<number>((resolve, reject) => t.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
      while ((await count()) < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      const extra = openSocket(portOf(t));
      extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.equal(await extra.closed, '', 'closed without an answer');
      for (const open of held) open.socket.destroy();
      while ((await count()) > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const response = await fetch(`http://127.0.0.1:${portOf(t)}/healthz`);
      assert.equal(response.status, 200);
    });
  });
});
