// The public surface of @gatehouse-auth/client, as an integrator compiles against it
// (test/types/public-api.test.ts checks this file against the built declarations).
import {
  clientCredentials,
  createAuthorizationRequest,
  OAuthClientError,
  TokenEndpointError,
  type AuthorizationRequest,
  type ClientCredentialsClient,
  type TokenSet,
} from '@gatehouse-auth/client';
import { expectType, type Equal } from './expect.js';

const client: ClientCredentialsClient = clientCredentials({
  tokenEndpoint: 'https://auth.example.com/oauth/token',
  clientId: 'client-id',
  clientSecret: 'client-secret',
  scope: 'documents:read',
});

export async function check(): Promise<void> {
  const token = await client.getToken({ tenant: 'acme' });
  expectType<Equal<typeof token, string>>();
  void token;
  const set = await client.getTokenSet();
  expectType<Equal<typeof set, TokenSet>>();
  void set;
  expectType<Equal<TokenSet['tokenType'], 'Bearer'>>();

  const request = await createAuthorizationRequest({ authorizationEndpoint: 'https://auth.example.com/oauth/authorize', clientId: 'app', redirectUri: 'https://app.example.com/cb' });
  expectType<Equal<typeof request, AuthorizationRequest>>();
  const verifier: string = request.codeVerifier;
  void verifier;

  try {
    await client.getToken();
  } catch (error) {
    if (error instanceof TokenEndpointError) {
      const code: string | undefined = error.error;
      const retryable: boolean = error.retryable;
      void [code, retryable];
    }
    const typed: boolean = error instanceof OAuthClientError;
    void typed;
  }
}

// Internals stay internal.
// @ts-expect-error the token cache is not exported
import { TokenCache } from '@gatehouse-auth/client';
void TokenCache;
