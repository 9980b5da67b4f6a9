import { NotFoundError } from '../errors.js';
import type { ClientStore } from '../storage.js';
import type { Client } from '../types.js';
import type { ClientService, CreatedClient, CreateOperatorClientInput, RotatedSecret, UpdateClientInput } from './clients.js';

export interface OperatorClientServiceDeps {
  /** Does the work (and records it as `operator_client.*`). */
  clients: ClientService;
  store: Pick<ClientStore, 'findClient'>;
}

/**
 * Operator clients (README, "Admin API tokens"): deployment-wide clients that belong to no tenant
 * and whose gatehouse:admin tokens manage every tenant. What the admin API's
 * `/operator-clients` routes call, after requireOperator: creating one is a
 * deployment-wide power. Every operation by id answers NotFoundError for a tenant's client,
 * so these routes never reach one (and the tenants' routes never reach an operator
 * client: ClientService.list never lists one, and the client's tenant is null).
 */
export class OperatorClientService {
  constructor(private readonly deps: OperatorClientServiceDeps) {}

  /** The secret is returned once; recorded as `operator_client.create`. */
  create(input: CreateOperatorClientInput): Promise<CreatedClient> {
    return this.deps.clients.createOperatorClient(input);
  }

  list(): Promise<Client[]> {
    return this.deps.clients.listOperatorClients();
  }

  get(clientId: string): Promise<Client> {
    return this.require(clientId);
  }

  /** Name and access token lifetime (the scope stays gatehouse:admin); `operator_client.update`. */
  async update(clientId: string, input: UpdateClientInput): Promise<Client> {
    await this.require(clientId);
    return this.deps.clients.update(clientId, input);
  }

  /** Soft deletion, its tokens revoked (ClientService.delete); `operator_client.delete`. */
  async delete(clientId: string): Promise<Client> {
    await this.require(clientId);
    return this.deps.clients.delete(clientId);
  }

  /** Without grace its tokens are revoked at once (ClientService.rotateSecret); `operator_client.rotate_secret`. */
  async rotateSecret(clientId: string, options: { graceSeconds?: number } = {}): Promise<RotatedSecret> {
    await this.require(clientId);
    return this.deps.clients.rotateSecret(clientId, options);
  }

  /** Its tokens stop being active; `operator_client.disable`. */
  async disable(clientId: string): Promise<Client> {
    await this.require(clientId);
    return this.deps.clients.disable(clientId);
  }

  async enable(clientId: string): Promise<Client> {
    await this.require(clientId);
    return this.deps.clients.enable(clientId);
  }

  private async require(clientId: string): Promise<Client> {
    const client = await this.deps.store.findClient(clientId);
    if (!client || client.tenantId !== null) throw new NotFoundError(`no operator client with id "${clientId}"`);
    return client;
  }
}
