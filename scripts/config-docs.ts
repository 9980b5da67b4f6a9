// Generates docs/configuration.md from the configuration schema (packages/server/src/core/config.ts).
// `npm run docs:config` rewrites it; test/core/config-docs.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../packages/server/src/core/config.js';

export function renderConfigDocs(): string {
  const rows = Object.entries(configSchema.properties).map(([name, schema]) => {
    const s = schema as { env?: string; default?: unknown; description?: string; anyOf?: { const: string }[] };
    const derived = /Defaults to/.test(s.description ?? '');
    const fallback = s.default === '' || s.default === undefined ? (derived ? '(derived)' : '(none)') : `\`${JSON.stringify(s.default)}\``;
    const values = s.anyOf ? ` One of ${s.anyOf.map((v) => `\`${v.const}\``).join(', ')}.` : '';
    return `| \`${name}\` | ${s.env ? `\`${s.env}\`` : '—'} | ${fallback} | ${(s.description ?? '').replace(/\|/g, '\\|')}${values} |`;
  });
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/server/src/core/config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Gatehouse reads its settings from `GATEHOUSE_*` environment variables and command-line flags',
    '(`gatehouse serve --port --host --issuer --management-port --management-host --db`; flags win). The configuration is validated at start-up:',
    'an invalid value stops the server with a message naming every bad setting by its variable or flag and the values it',
    'accepts (`invalid configuration: GATEHOUSE_PORT "abc": expected an integer from 0 to 65535`). A `GATEHOUSE_*` variable',
    'that no setting reads is reported with the closest name (`unknown environment variable GATEHOUSE_PROT (did you mean',
    'GATEHOUSE_PORT?)`): on stderr by the CLI, as a warning in the log by `serve`. `GATEHOUSE_TEST_*` are the test runner\'s.',
    'Durations (`GATEHOUSE_ACCESS_TOKEN_TTL`, `GATEHOUSE_THROTTLE_WINDOW`, `GATEHOUSE_DISCOVERY_MAX_AGE`) accept `3600`, `3600s`, `30m`, `12h`, `7d`.',
    '',
    '| setting | environment variable | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
    'The demo document API that `gatehouse serve` mounts for loopback issuers (`/api`, public links under `/files/`) is an',
    'example app outside the server, with its own settings: `GATEHOUSE_DEMO_API` (default: on for a loopback issuer, off',
    'otherwise; `true`/`false` decide) and `GATEHOUSE_DEMO_MAX_UPLOAD_BYTES` (default 10 MiB). See',
    '[examples/document-api/README.md](../examples/document-api/README.md).',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
  console.log('wrote docs/configuration.md');
}
