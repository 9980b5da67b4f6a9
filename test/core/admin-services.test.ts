/**
 * The admin services (src/core/admin/) built alone from the narrow dependencies they
 * declare, with in-memory stand-ins instead of a database: what the CLI and the admin
 * API call, and the JSON shapes both print.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScopeService, TenantService, UserService } from '../../packages/server/src/core/admin/index.js';
import { toClientResource, toCreatedClientResource, toScopeResource } from '../../packages/server/src/core/admin/resources.js';
import { NotFoundError, ValidationError } from '../../packages/server/src/core/errors.js';
import type { Client, ScopeDefinition, Tenant, User, UserWithPassword } from '../../packages/server/src/core/types.js';

const acme: Tenant = { id: 't-acme', slug: 'acme', name: 'Acme', accessTokenTtl: null, disabled: false, branding: { accent: null, termsUrl: null, privacyUrl: null, logo: null }, createdAt: 0 };
const audit = { recorder: { record: async () => {} }, actor: 'cli' };
const tenants = { findTenantBySlug: async (slug: string) => (slug === 'acme' ? acme : undefined) };

describe('admin services on narrow dependencies', () => {
  it('TenantService.create/list need only createTenant/listTenants and the maximum lifetime; it refuses a bad slug and a lifetime over the maximum before any write', async () => {
    const created: unknown[] = [];
    const service = new TenantService({
      tenants: {
        createTenant: async (input) => (created.push(input), { ...acme, ...input }),
        listTenants: async () => [acme],
        findTenantBySlug: async () => assert.fail('not called'),
        updateTenant: async () => assert.fail('not called'),
        setTenantDisabled: async () => assert.fail('not called'),
        setTenantBranding: async () => assert.fail('not called'),
      },
      config: { maxAccessTokenTtl: 3600 },
      audit,
    });
    await assert.rejects(service.create({ slug: 'Not A Slug' }), (error) => error instanceof ValidationError && /invalid tenant slug "Not A Slug"/.test(error.message));
    await assert.rejects(service.create({ slug: 'acme', accessTokenTtl: 7200 }), /access token lifetime 2h exceeds the maximum of 1h/);
    assert.deepEqual(created, []);
    assert.equal((await service.create({ slug: 'globex' })).name, 'globex', 'the name defaults to the slug');
    assert.deepEqual(await service.list(), [acme]);
  });

  it('ScopeService names the unknown tenant and how to create it', async () => {
    const stored: ScopeDefinition[] = [];
    const service = new ScopeService({
      tenants,
      scopes: { upsertScope: async (tenantId, name, description) => (stored.push({ tenantId, name, description }), stored.at(-1)!), listScopes: async () => stored, deleteScope: async () => assert.fail('not called') },
      audit,
    });
    await assert.rejects(service.list('nowhere'), (error) => error instanceof NotFoundError && error.message === 'unknown tenant "nowhere" (create it with: gatehouse tenant create nowhere)');
    const scope = await service.create({ tenant: 'acme', name: 'documents:read', description: '  Read your documents ' });
    assert.deepEqual(scope, { tenantId: 't-acme', name: 'documents:read', description: 'Read your documents' });
  });

  it('UserService.disable and enable delegate to UserStore.setDisabled, which revokes the grants and ends the sessions in one transaction', async () => {
    const alice: UserWithPassword = { id: 'u-alice', username: 'Alice', disabled: false, tenants: [{ id: 't-acme', slug: 'acme' }], revocationEpoch: 0, createdAt: 0, updatedAt: 0, passwordHash: 'x' };
    const calls: [string, boolean][] = [];
    const service = new UserService({
      tenants,
      users: {
        createUser: async () => assert.fail('not called'),
        findUserByUsername: async (username) => (username.toLowerCase() === 'alice' ? alice : undefined),
        addUserToTenant: async () => false,
        removeUserFromTenant: async () => assert.fail('not called'),
        listUsers: async () => [],
        setPassword: async () => undefined,
        deleteUser: async () => assert.fail('not called'),
        setDisabled: async (id, disabled): Promise<User> => {
          calls.push([id, disabled]);
          const { passwordHash: _hash, ...user } = alice;
          return { ...user, disabled };
        },
      },
      // Not the service's job any more: a separate call could fail after the disable and leave a grant to resurrect.
      grants: { revokeGrantsOfUser: async () => assert.fail('not called'), revokeGrantsOfUserInTenant: async () => assert.fail('not called') },
      consents: { removeTenantFromConsents: async () => assert.fail('not called') },
      sessions: { endSessionsOf: async () => assert.fail('not called') },
      audit,
      clock: () => 1_000,
    });
    const disabled = await service.disable('ALICE');
    assert.equal(disabled.disabled, true);
    await service.enable('alice');
    assert.deepEqual(calls, [['u-alice', true], ['u-alice', false]]);
    await assert.rejects(service.disable('mallory'), /no user "mallory" \(create it with: gatehouse user create/);
  });
});

describe('admin resources (what --json prints and the admin API returns)', () => {
  const client: Client = {
    id: 'c1', tenantId: 't-acme', tenantSlug: 'acme', name: 'X', isPublic: false,
    secretDigest: 'digest', previousSecretDigest: 'old digest', previousSecretExpiresAt: null,
    grantTypes: ['client_credentials'], scopes: ['documents:read', 'documents:write'], defaultScopes: ['documents:read'], redirectUris: [],
    accessTokenTtl: 600, tenantAccessTokenTtl: null, resourceServer: false, refreshIdleTtl: 60, refreshAbsoluteTtl: 120, refreshGraceSeconds: 0,
    disabled: false, tenantDisabled: false, revocationEpoch: 0, createdAt: Date.UTC(2025, 0, 2), updatedAt: Date.UTC(2025, 0, 2),
  };

  it('a client resource never holds a digest; a created one holds its secret only when it has one', () => {
    const resource = toClientResource(client);
    assert.deepEqual(Object.keys(resource), [
      'client_id', 'tenant', 'operator', 'name', 'public', 'resource_server', 'grant_types', 'scope', 'default_scope', 'redirect_uris',
      'access_token_ttl', 'refresh_idle_ttl', 'refresh_absolute_ttl', 'refresh_grace', 'disabled', 'created_at',
    ]);
    assert.equal(resource.scope, 'documents:read documents:write');
    assert.equal(resource.created_at, '2025-01-02T00:00:00.000Z');
    assert.doesNotMatch(JSON.stringify(resource), /digest/);
    assert.equal(toCreatedClientResource({ client, secret: 's3cret' }).client_secret, 's3cret');
    assert.ok(!('client_secret' in toCreatedClientResource({ client })));
  });

  it('a scope names its tenant only when shown alone', () => {
    const scope = { tenantId: 't-acme', name: 'documents:read', description: 'Read' };
    assert.deepEqual(toScopeResource(scope, 'acme'), { tenant: 'acme', name: 'documents:read', description: 'Read' });
    assert.deepEqual(toScopeResource(scope), { name: 'documents:read', description: 'Read' });
  });
});
