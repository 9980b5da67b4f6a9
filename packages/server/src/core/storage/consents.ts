/** Remembered consents (issue 4). See ./index.ts for the rules every store follows. */
import type { Consent } from '../types.js';

export interface ConsentInput {
  userId: string;
  clientId: string;
  scopes: string[];
  tenants: string[];
}

/** Remembered consents, one per user and client (the consent page). */
export interface ConsentStore {
  /** The user's consent for the client, or undefined. */
  findConsent(userId: string, clientId: string): Promise<Consent | undefined>;
  /**
   * Creates the consent, or replaces the scopes and tenants of the existing one (its
   * creation time stays), in one statement: of two concurrent saves the later wins.
   * NotFoundError when the user or the client does not exist.
   */
  saveConsent(input: ConsentInput): Promise<Consent>;
  /**
   * Forgets the user's consent for the client, so that the next authorization asks
   * again. True when one was deleted, false when there was none.
   */
  deleteConsent(userId: string, clientId: string): Promise<boolean>;
  /**
   * Drops the tenant (slug) from every consent of the user (the user left the tenant),
   * in one transaction; a consent left with no tenant is deleted, so the next
   * authorization asks again. Returns how many consents changed or went.
   */
  removeTenantFromConsents(userId: string, tenantSlug: string): Promise<number>;
}
