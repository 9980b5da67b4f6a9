/**
 * A TCP proxy for outage tests (node:net only): processes connect to it instead of
 * PostgreSQL or Redis, and a test cuts the line and restores it, as a failover or a
 * network partition would, without touching the machine's own database server.
 *
 * While cut, open connections are destroyed (or frozen), and new ones are refused (the
 * listener closes: ECONNREFUSED, as a stopped server) or blackholed (accepted, never
 * answered: a partition, where only the clients' own timeouts help): see CutMode.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * `refuse`: open connections destroyed, new ones refused (a stopped server). `blackhole`:
 * open connections destroyed, new ones accepted and never answered. `freeze`: a silent
 * partition, no RST anywhere: open connections stay open but nothing crosses any more,
 * and new ones are accepted and never answered.
 */
export type CutMode = 'refuse' | 'blackhole' | 'freeze';

export interface TcpProxy {
  /** The port on 127.0.0.1 the proxy listens on (stable across cut/restore). */
  port: number;
  /** Replaces host:port of `url` with the proxy's (for postgres:// and redis:// URLs). */
  rewrite(url: string): string;
  /** Destroys every open connection and refuses (default) or blackholes new ones. */
  cut(mode?: CutMode): Promise<void>;
  /** Forwards new connections to the target again. */
  restore(): Promise<void>;
  /** How many client connections are open through the proxy now. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target` (only 127.0.0.1 targets are used in tests). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  /** Client socket → its upstream, to freeze a live pair. */
  const pairs = new Map<Socket, Socket>();
  let state: 'forward' | CutMode = 'forward';
  let port = 0;

  const onConnection = (client: Socket) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    if (state !== 'forward') {
      // Blackholed: accepted, read and never answered; destroyed on the next cut or restore.
      client.resume();
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port });
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => upstream.destroy());
    pairs.set(client, upstream);
    client.on('close', () => pairs.delete(client));
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (wanted: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : wanted);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const destroyAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };

  port = await listen(0);

  return {
    port,
    rewrite(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.href;
    },
    async cut(mode = 'refuse') {
      state = mode;
      if (mode === 'freeze') {
        // Nothing crosses any more, in either direction; both ends keep waiting.
        for (const [client, upstream] of pairs) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.resume();
          upstream.resume();
        }
      } else if (mode === 'refuse' && server.listening) {
        const closed = stopListening();
        destroyAll();
        await closed;
      } else {
        destroyAll();
      }
    },
    async restore() {
      const wasListening = server.listening;
      state = 'forward';
      destroyAll(); // blackholed sockets go; clients reconnect through a live line
      if (!wasListening) {
        server = createServer(onConnection);
        // The same port: the processes' configuration names it. Retried briefly in case
        // the kernel has not released it yet.
        for (let attempt = 1; ; attempt++) {
          try {
            await listen(port);
            break;
          } catch (error) {
            if (attempt >= 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
    },
    connections: () => open.size,
    async close() {
      state = 'refuse';
      const closed = server.listening ? stopListening() : Promise.resolve();
      destroyAll();
      await closed;
    },
  };
}
