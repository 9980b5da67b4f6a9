import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './types.js';

/** The grants the token endpoint serves. Adding a grant: one file and one line here. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map([clientCredentialsGrant].map((grant) => [grant.type, grant]));

export type { Grant, GrantContext, GrantDeps, TokenResponse } from './types.js';
