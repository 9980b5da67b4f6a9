import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SIGNING_ALGORITHMS, GRANT_TYPES } from '../../../core/types.js';
import { MAX_PAGE_SIZE } from '../../../core/admin/pages.js';
import { LOGO_TYPES, MAX_LOGO_BYTES } from '../../../core/branding.js';

/**
 * The admin API's JSON Schemas (TypeBox): the routes validate requests with them, Fastify
 * serializes answers with them, and /admin/api/openapi.json is generated from them
 * (@fastify/swagger), so the document cannot drift from what the routes do. The resource
 * shapes are those of core/admin/resources.ts (what `gatehouse … --json` prints).
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const time = (description: string) => Type.String({ format: 'date-time', description });

/** A duration: whole seconds, or a duration string as the CLI takes ("3600", "30m", "24h", "7d"). */
export const Duration = Type.Union([Type.Integer({ minimum: 1, maximum: 3_153_600_000 }), Type.String({ pattern: '^\\s*\\d{1,10}\\s*[smhdwySMHDWY]?\\s*$', maxLength: 40 })], {
  description: 'whole seconds, or a duration string: a whole number followed by s, m, h, d, w or y (e.g. "3600", "30m", "24h", "7d")',
});
/** A duration that may be zero (a grace period). */
export const DurationOrZero = Type.Union([Type.Integer({ minimum: 0, maximum: 3_153_600_000 }), Duration], { description: Duration.description });

const Slug = Type.String({ minLength: 1, maxLength: 63, description: "the tenant's slug (never changes)" });
const Username = Type.String({ minLength: 1, maxLength: 64, description: 'ASCII letters, digits and . _ @ + - (compared ignoring case)' });
const ScopeString = Type.String({ maxLength: 10_000, description: 'space-delimited scopes (RFC 6749 §3.3)' });
const GrantTypes = Type.Array(Type.Union(GRANT_TYPES.map((grantType) => Type.Literal(grantType))), { maxItems: GRANT_TYPES.length });
const RedirectUris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 100, description: 'absolute URIs without a fragment (RFC 6749 §3.1.2); replaces the whole list' });

// --- resources (answers) ---

export const TenantResource = Type.Object(
  {
    slug: Slug,
    name: Type.String(),
    access_token_ttl: nullable(Type.Integer({ description: "seconds; null: the server's default" })),
    disabled: Type.Boolean({ description: 'its clients cannot get tokens' }),
    branding: Type.Object(
      {
        accent: nullable(Type.String({ description: '#rrggbb: primary buttons, links and focus rings on its pages' })),
        logo_url: nullable(Type.String({ description: 'where Gatehouse serves the logo, relative to the issuer (changes with the logo)' })),
        terms_url: nullable(Type.String()),
        privacy_url: nullable(Type.String()),
      },
      { additionalProperties: false, description: "how the tenant's pages look; null: not set, the deployment's applies" },
    ),
    created_at: time('creation time'),
  },
  { additionalProperties: false },
);

const clientProperties = {
  client_id: Type.String(),
  tenant: Slug,
  name: Type.String(),
  public: Type.Boolean({ description: 'a public client has no secret' }),
  resource_server: Type.Boolean({ description: "a resource server of the API provider (operators only): reads the revocation feed, introspects every tenant's tokens" }),
  grant_types: Type.Array(Type.String()),
  scope: ScopeString,
  default_scope: ScopeString,
  redirect_uris: Type.Array(Type.String()),
  access_token_ttl: nullable(Type.Integer({ description: "seconds; null: the tenant's lifetime" })),
  refresh_idle_ttl: Type.Integer({ description: 'seconds' }),
  refresh_absolute_ttl: Type.Integer({ description: 'seconds' }),
  refresh_grace: Type.Integer({ description: 'seconds' }),
  disabled: Type.Boolean(),
  created_at: time('registration time'),
};

export const ClientResource = Type.Object(clientProperties, { additionalProperties: false });

const operatorClientProperties = {
  ...clientProperties,
  tenant: Type.Null({ description: 'an operator client belongs to no tenant' }),
  operator: Type.Literal(true),
};

export const OperatorClientResource = Type.Object(operatorClientProperties, { additionalProperties: false });

export const CreatedOperatorClientResource = Type.Object(
  { ...operatorClientProperties, client_secret: Type.String({ description: 'shown once, in this answer only' }) },
  { additionalProperties: false },
);

export const CreatedClientResource = Type.Object(
  { ...clientProperties, client_secret: Type.Optional(Type.String({ description: 'shown once, in this answer only (absent for a public client)' })) },
  { additionalProperties: false },
);

export const RotatedSecretResource = Type.Object(
  {
    client_id: Type.String(),
    client_secret: Type.String({ description: 'shown once, in this answer only' }),
    tenant: nullable(Slug),
    previous_secret_expires_at: nullable(time('until when the previous secret keeps working; null: it stopped at once and the tokens issued so far were revoked')),
  },
  { additionalProperties: false },
);

export const ScopeResource = Type.Object(
  { tenant: Type.Optional(Slug), name: Type.String(), description: Type.String({ description: 'what the consent page shows' }) },
  { additionalProperties: false },
);

export const UserResource = Type.Object(
  {
    username: Username,
    tenants: Type.Array(Slug, { description: "the user's tenants (a tenant's admin sees its own tenant only)" }),
    disabled: Type.Boolean(),
    created_at: time('creation time'),
  },
  { additionalProperties: false },
);

const grantProperties = {
  grant_id: Type.String(),
  user: nullable(Type.String()),
  client_id: Type.String(),
  client_name: nullable(Type.String()),
  tenants: Type.Array(Slug),
  scope: ScopeString,
  created_at: time('when the user authorized the client'),
  expires_at: time('when the grant (its refresh tokens) ends'),
  revoked: Type.Boolean(),
  revoked_at: nullable(time('when it was revoked')),
};

export const GrantResource = Type.Object(grantProperties, { additionalProperties: false });

export const RevokedGrantResource = Type.Object(
  { ...grantProperties, consent_forgotten: Type.Boolean({ description: "the user's remembered consent for the client was forgotten" }) },
  { additionalProperties: false },
);

export const EndedSessionsResource = Type.Object(
  { ended: Type.Integer({ minimum: 0, description: 'how many sign-in sessions were ended (0 when the user had none)' }) },
  { additionalProperties: false },
);

export const AdminAccountResource = Type.Object(
  {
    username: Username,
    role: Type.Union([Type.Literal('operator'), Type.Literal('tenant_admin')], { description: 'operator: every tenant; tenant_admin: its tenant only' }),
    tenant: nullable(Slug),
    disabled: Type.Boolean({ description: 'it cannot sign in' }),
    mfa: Type.Boolean({ description: 'a TOTP second factor is enrolled' }),
    recovery_codes_left: Type.Integer({ minimum: 0 }),
    created_at: time('creation time'),
    last_sign_in_at: nullable(time('its last sign-in to the dashboard')),
  },
  { additionalProperties: false, description: 'a dashboard account; never its password or second factor' },
);

export const SigningKeyResource = Type.Object(
  {
    kid: Type.String(),
    alg: Type.String(),
    active: Type.Boolean(),
    created_at: time('creation time'),
    published_until: nullable(time('when a retired key leaves the JWKS; null for the active key')),
  },
  { additionalProperties: false },
);

export const NewSigningKeyResource = Type.Object({ kid: Type.String(), alg: Type.String() }, { additionalProperties: false });

export const AuditEventResource = Type.Object(
  {
    id: Type.String(),
    time: time('when it happened'),
    actor: Type.String(),
    tenant: nullable(Type.String()),
    action: Type.String(),
    target: nullable(Type.String()),
    outcome: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

/** `{"items": [...], "next": cursor-or-null}`. */
export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next: nullable(Type.String({ description: 'pass as `cursor` for the following page; null on the last page' })) }, { additionalProperties: false });

/** RFC 9457 problem details. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'a stable machine-readable code: invalid_request, invalid_token, insufficient_scope, forbidden, not_found, conflict, temporarily_unavailable, server_error' }),
    field: Type.Optional(Type.String({ description: 'the request field at fault (e.g. `name`, `redirect_uris/0`, `limit`)' })),
    errors: Type.Optional(Type.Array(Type.Object({ in: Type.String(), field: Type.String(), detail: Type.String() }, { additionalProperties: false }))),
  },
  { additionalProperties: false, description: 'RFC 9457 problem details (application/problem+json)' },
);

// --- requests ---

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `items per page (default 50, at most ${MAX_PAGE_SIZE})` })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 3000, description: 'the `next` of the previous page' })),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export const SlugParams = Type.Object({ slug: Slug });
export const ClientParams = Type.Object({ slug: Slug, client_id: Type.String({ minLength: 1, maxLength: 200 }) });
export const ScopeParams = Type.Object({ slug: Slug, name: Type.String({ minLength: 1, maxLength: 200 }) });
export const MemberParams = Type.Object({ slug: Slug, username: Username });
export const UserParams = Type.Object({ username: Username });
export const GrantParams = Type.Object({ username: Username, grant_id: Type.String({ minLength: 1, maxLength: 100 }) });
export const KeyParams = Type.Object({ kid: Type.String({ minLength: 1, maxLength: 200 }) });

export const CreateTenantBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 63, description: '1-63 lowercase letters, digits and inner hyphens; it never changes' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'display name (default: the slug)' })),
    access_token_ttl: Type.Optional(nullable(Duration)),
  },
  { additionalProperties: false },
);

export const UpdateTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    access_token_ttl: Type.Optional(nullable(Duration)),
    disabled: Type.Optional(Type.Boolean({ description: "operators only; disabling revokes every token of the tenant's clients" })),
    branding: Type.Optional(
      Type.Object(
        {
          accent: Type.Optional(nullable(Type.String({ maxLength: 20, description: 'a colour as #rrggbb' }))),
          terms_url: Type.Optional(nullable(Type.String({ maxLength: 2000, description: 'an absolute https URL (http only for localhost)' }))),
          privacy_url: Type.Optional(nullable(Type.String({ maxLength: 2000, description: 'an absolute https URL (http only for localhost)' }))),
        },
        { additionalProperties: false, description: 'the fields given replace the stored values, null clears one; the logo is PUT /tenants/{slug}/logo' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A logo, sent as the raw image (its type is read from the bytes, as setBranding does). */
export const LogoBody = {
  content: Object.fromEntries(
    LOGO_TYPES.map((type) => [type, { schema: Type.String({ format: 'binary', description: `the image itself, at most ${MAX_LOGO_BYTES} bytes (beyond: 413)` }) }]),
  ),
};

const refreshSettings = {
  refresh_idle_ttl: Type.Optional(Duration),
  refresh_absolute_ttl: Type.Optional(Duration),
  refresh_grace: Type.Optional(DurationOrZero),
};

export const CreateClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    grant_types: Type.Optional(GrantTypes),
    scope: Type.Optional(ScopeString),
    default_scope: Type.Optional(ScopeString),
    redirect_uris: Type.Optional(RedirectUris),
    public: Type.Optional(Type.Boolean()),
    resource_server: Type.Optional(Type.Boolean({ description: 'operators only' })),
    access_token_ttl: Type.Optional(nullable(Duration)),
    ...refreshSettings,
  },
  { additionalProperties: false },
);

export const UpdateClientBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    grant_types: Type.Optional(GrantTypes),
    scope: Type.Optional(ScopeString),
    default_scope: Type.Optional(ScopeString),
    redirect_uris: Type.Optional(RedirectUris),
    access_token_ttl: Type.Optional(nullable(Duration)),
    ...refreshSettings,
    disabled: Type.Optional(Type.Boolean({ description: 'disabling revokes every token issued to the client' })),
  },
  { additionalProperties: false, description: 'the fields given replace the stored values; `access_token_ttl: null` goes back to the tenant\'s lifetime' },
);

export const OperatorClientParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 200 }) });

export const CreateOperatorClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scope: Type.Optional(Type.Literal('gatehouse:admin', { description: 'an operator client gets admin API tokens only' })),
    access_token_ttl: Type.Optional(nullable(Duration)),
  },
  { additionalProperties: false },
);

export const UpdateOperatorClientBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    access_token_ttl: Type.Optional(nullable(Duration)),
    disabled: Type.Optional(Type.Boolean({ description: 'disabling revokes every token issued to the client' })),
  },
  { additionalProperties: false },
);

export const RotateSecretBody = Type.Object(
  { grace: Type.Optional(DurationOrZero) },
  { additionalProperties: false, description: 'without grace (or 0) the old secret stops at once and every token issued so far is revoked' },
);

export const PutScopeBody = Type.Object({ description: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

export const CreateUserBody = Type.Object(
  { username: Username, password: Type.String({ minLength: 1, maxLength: 1024, description: 'at least 10 characters; never shown again' }) },
  { additionalProperties: false },
);

export const CreateAdminAccountBody = Type.Object(
  { username: Username, password: Type.String({ minLength: 1, maxLength: 1024, description: 'at least 10 characters; never shown again' }) },
  { additionalProperties: false },
);
export const AdminAccountParams = Type.Object({ username: Username });
export const TenantAdminParams = Type.Object({ slug: Slug, username: Username });

export const UpdateUserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'a password reset' })),
    disabled: Type.Optional(Type.Boolean({ description: "disabling revokes every grant of the user" })),
  },
  { additionalProperties: false, description: 'a user who also belongs to another tenant is changed by operators only' },
);

export const RotateKeyBody = Type.Object({ alg: Type.Optional(Type.Union(SIGNING_ALGORITHMS.map((alg) => Type.Literal(alg)))) }, { additionalProperties: false });

export const AuditQuery = Type.Object(
  {
    tenant: Type.Optional(Slug),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    since: Type.Optional(Type.String({ maxLength: 100, description: 'a duration back from now ("24h", "7d") or an ISO 8601 time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 3000 })),
  },
  { additionalProperties: false },
);

/** A route's answers for the document: its successes, and a problem for every error. */
export function responses(ok: Record<number, TSchema>): Record<string, TSchema> {
  return { ...ok, default: Problem };
}

/** An answer without a body. */
export const NoContent = Type.Null({ description: 'no content' });
