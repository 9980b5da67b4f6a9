import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-token.js';
import type { Grant } from './types.js';

/** The grants the token endpoint serves. Adding a grant: one file and one line here. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map(
  [clientCredentialsGrant, authorizationCodeGrant, refreshTokenGrant].map((grant) => [grant.type, grant]),
);

export type { Grant, GrantContext, GrantDeps, TokenResponse } from './types.js';
