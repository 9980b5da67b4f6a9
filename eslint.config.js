import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layering (docs/architecture.md): server → core ← store; resource/ and client/ stand alone. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

const frameworks = (message) => [
  { group: ['fastify', 'fastify/*', '@fastify/*'], message },
  { group: ['kysely', 'kysely/*', 'pg', 'better-sqlite3', 'ioredis'], message },
  { group: ['node:http', 'node:https', 'http', 'https'], message },
];

export default tseslint.config(
  { ignores: ['**/dist/', '**/node_modules/', 'data/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['packages/server/src/core/**'], [
    ...frameworks('core/ is the protocol engine: no HTTP framework, no SQL, no node:http (docs/architecture.md)'),
    { group: ['**/server/**', '**/store/**', '**/cli/**', '**/web/**', '**/resource/**', '**/client/**', '**/examples/**', '@gatehouse-auth/example-*'], message: 'core/ depends on nothing but itself' },
  ]),
  layer(['packages/server/src/store/**'], [
    { group: ['fastify', 'fastify/*', '@fastify/*', 'node:http', 'http'], message: 'store/ knows nothing of HTTP' },
    { group: ['**/server/**', '**/cli/**', '**/web/**', '**/resource/**', '**/client/**', '**/examples/**', '@gatehouse-auth/example-*'], message: 'store/ depends on core/ only' },
  ]),
  layer(['packages/resource/src/**'], [
    ...frameworks('resource/ imports jose and core error types only').filter((rule) => !rule.group.includes('fastify')),
    { group: ['**/server/**', '**/store/**', '**/cli/**', '**/web/**', '**/client/**', '**/examples/**', '@gatehouse-auth/server', '@gatehouse-auth/client'], message: 'resource/ must not import the server or the store' },
  ]),
  layer(['packages/client/src/**'], [
    ...frameworks('client/ runs in browsers and edge runtimes: fetch and jose only'),
    { group: ['node:*'], message: 'client/ runs in browsers and edge runtimes: web APIs only' },
    { group: ['**/server/**', '**/store/**', '**/cli/**', '**/web/**', '**/resource/**', '**/examples/**', '**/core/**', '@gatehouse-auth/*'], message: 'client/ must not import the server, the store or core' },
  ]),
  {
    files: ['packages/client/src/**'],
    rules: {
      'no-restricted-globals': ['error', ...['Buffer', 'process', 'require', 'global', 'setImmediate', '__dirname', '__filename'].map((name) => ({ name, message: 'client/ runs in browsers and edge runtimes: web APIs only' }))],
    },
  },
  layer(['examples/document-api/src/**'], [
    {
      regex: '^(?!(@gatehouse-auth/resource|fastify|@fastify/multipart|better-sqlite3)$|node:|\\./)',
      message: 'the document API is an example app outside the product: it uses @gatehouse-auth/resource, fastify, @fastify/multipart, its own storage (better-sqlite3) and node:* only',
    },
  ]),
  layer(['packages/server/src/web/**'], [
    { group: ['kysely', 'kysely/*', 'pg', 'better-sqlite3', 'ioredis', '**/store/**', '**/server/**', '**/cli/**'], message: 'web/ renders pages from plain values: no storage, no server' },
  ]),
  layer(['packages/server/src/server/routes/**'], [
    { group: ['kysely', 'kysely/*', 'pg', 'better-sqlite3', 'ioredis', '**/store/**', '**/core/storage*', '**/core/secrets*', '**/master-key*', '**/context*'], message: 'routes parse, call one service (server/services.ts) and render: no storage, keys or master key (docs/architecture.md)' },
  ]),
  layer(['packages/server/src/cli/**'], [
    { group: ['kysely', 'pg', 'better-sqlite3', 'fastify'], message: 'cli/ owns no logic: call the services in core/ through server/context' },
  ]),
);
