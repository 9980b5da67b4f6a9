// Bench contestant: panva's oidc-provider, one client with client_credentials, JWT access
// tokens signed with ES256 (through resource indicators), its in-memory adapter.
// Prints `READY <port> <client_id> <client_secret>` when listening.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './free-port.js';

const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
const clientId = 'bench-client';
const clientSecret = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const resource = `${issuer}/api`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk as never] },
  // Only an ES256 key is configured, so the clients' default signing algorithm must be ES256.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['documents:read', 'documents:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'documents:read documents:write', audience: resource, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.on('server_error', (_ctx: unknown, error: Error) => console.error(error));

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => console.log(`READY ${port} ${clientId} ${clientSecret}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
