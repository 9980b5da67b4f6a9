// The public surface of @gatehouse-auth/server, for an application that embeds Gatehouse
// (test/types/public-api.test.ts checks this file against the built declarations).
import type { FastifyInstance } from 'fastify';
import { configFromEnv, loadConfig, OAuthError, runCli, startServer, StorageUnavailableError, ValidationError, type Config, type ConfigInput, type GatehouseServer } from '@gatehouse-auth/server';
import { expectType, type Equal } from './expect.js';

export async function check(): Promise<void> {
  const input: ConfigInput = { ...configFromEnv(process.env), port: 8080, databaseUrl: 'sqlite:./data/gatehouse.db' };
  const config: Config = loadConfig(input);
  const issuer: string = config.issuer;
  // The configuration is read-only once loaded.
  // @ts-expect-error Config is readonly
  config.port = 1;

  const server = await startServer(config);
  expectType<Equal<typeof server, GatehouseServer>>();
  // The server's internals (storage, keys, the master key) are not reachable from it.
  // @ts-expect-error no gatehouse internals on the public server
  void server.gatehouse;
  const app: FastifyInstance = server.app;
  const url: string = server.url;
  await server.close();
  void [issuer, app, url];

  const code = await runCli(['node', 'gatehouse', 'tenant', 'list', '--json'], { out: (text) => void text, err: (text) => void text });
  void code;

  const error: Error = new ValidationError('bad');
  const oauth = new OAuthError('invalid_request', 'missing grant_type');
  const status: number = oauth.status;
  void [error, status, StorageUnavailableError];
}

// Internals stay internal.
// @ts-expect-error the storage implementations are not exported
import { openSqlStorage } from '@gatehouse-auth/server';
// @ts-expect-error the composition root (storage, keys, the master key) is not exported
import { openGatehouse } from '@gatehouse-auth/server';
void [openSqlStorage, openGatehouse];
