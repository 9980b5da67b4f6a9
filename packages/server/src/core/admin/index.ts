import type { Config } from '../config.js';
import type { AuditRecorder } from '../audit.js';
import type { Storage } from '../storage.js';
import { AdminAccountService, type AdminSessionEnder } from './accounts.js';
import { ClientService } from './clients.js';
import { GrantService } from './grants.js';
import { OperatorClientService } from './operator-clients.js';
import { SigningKeyService } from './keys.js';
import { ScopeService } from './scopes.js';
import { TenantService } from './tenants.js';
import { UserService } from './users.js';

/**
 * Operator actions, one service per resource. The CLI and the admin API call these;
 * they own no logic of their own. Each service takes only the stores and settings it
 * needs, so it can be built (and tested) alone; `createAdminServices` builds them all
 * from the application's storage for the composition root.
 */
export interface AdminServices {
  tenants: TenantService;
  clients: ClientService;
  /** Deployment-wide clients of the operators (no tenant): the admin API's /operator-clients. */
  operatorClients: OperatorClientService;
  keys: SigningKeyService;
  users: UserService;
  scopes: ScopeService;
  grants: GrantService;
  /** Operator and tenant-admin accounts (the dashboard's). */
  accounts: AdminAccountService;
}

export interface AdminDeps {
  storage: Pick<Storage, 'tenants' | 'clients' | 'keys' | 'users' | 'scopes' | 'grants' | 'consents' | 'adminAccounts' | 'sessions'>;
  /** Ends an admin account's sessions when it is deleted, disabled or its credentials replaced. */
  adminSessions?: AdminSessionEnder;
  /** Keys the client-secret digests (derived from the master key). */
  digestKey: Buffer;
  /** Seals generated signing keys (derived from the master key). */
  keyEncryptionKey: Buffer;
  config: Pick<Config, 'maxAccessTokenTtl' | 'signingAlgorithm'>;
  /** Records every action (core/audit.ts). */
  audit: AuditRecorder;
  /** Who acts through these services: `cli`, `system`, an operator username, a tenant admin, an admin client id. */
  actor: string;
  clock?: () => number;
}

/** The admin services acting for one actor; every action they perform is recorded in the audit log as that actor's. */
export function createAdminServices({ storage, digestKey, keyEncryptionKey, config, audit: recorder, actor, clock, adminSessions }: AdminDeps): AdminServices {
  const audit = { recorder, actor };
  const clients = new ClientService({ tenants: storage.tenants, clients: storage.clients, digestKey, config, audit, clock });
  return {
    tenants: new TenantService({ tenants: storage.tenants, config, audit }),
    clients,
    operatorClients: new OperatorClientService({ clients, store: storage.clients }),
    keys: new SigningKeyService({ keys: storage.keys, keyEncryptionKey, config, audit, clock }),
    users: new UserService({ tenants: storage.tenants, users: storage.users, grants: storage.grants, consents: storage.consents, sessions: storage.sessions, audit, clock }),
    scopes: new ScopeService({ tenants: storage.tenants, scopes: storage.scopes, audit }),
    grants: new GrantService({ users: storage.users, clients: storage.clients, grants: storage.grants, consents: storage.consents, audit, clock }),
    accounts: new AdminAccountService({ tenants: storage.tenants, accounts: storage.adminAccounts, ...(adminSessions ? { sessions: adminSessions } : {}), audit }),
  };
}

export type { AdminAudit } from './audited.js';

export { AdminAccountService, principalOf, type AdminAccountServiceDeps, type AdminSessionEnder, type CreateAdminAccountInput } from './accounts.js';

export { ClientService, newClientId, type ClientServiceDeps, type CreateClientInput, type CreateOperatorClientInput, type CreatedClient, type RotatedSecret } from './clients.js';
export { OperatorClientService, type OperatorClientServiceDeps } from './operator-clients.js';
export { GrantService, type GrantServiceDeps, type GrantView, type RevokedGrant } from './grants.js';
export { SigningKeyService, type PublishedKey, type SigningKeyServiceDeps } from './keys.js';
export { ScopeService, type CreateScopeInput, type ScopeServiceDeps } from './scopes.js';
export { TenantService, type CreateTenantInput, type TenantServiceDeps } from './tenants.js';
export { UserService, type CreateUserInput, type UserServiceDeps } from './users.js';
export { ScopedAdmin, createScopedAdmin, type ClientChange, type ScopedAdminDeps, type TenantChange, type UserChange } from './scoped.js';
export { paginate, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from './pages.js';
