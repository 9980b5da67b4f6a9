import type { Config } from '../config.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { generateSigningKey, keyRetentionMs } from '../keys.js';
import type { KeyStore } from '../storage.js';
import { audited, type AdminAudit } from './audited.js';
import type { SigningAlgorithm, SigningKey } from '../types.js';

export interface SigningKeyServiceDeps {
  keys: Pick<KeyStore, 'listPublishedKeys' | 'activateKey' | 'withdrawKey'>;
  /** Seals the private JWK of every key generated (derived from the master key). */
  keyEncryptionKey: Buffer;
  config: Pick<Config, 'maxAccessTokenTtl' | 'signingAlgorithm'>;
  audit: AdminAudit;
  clock?: () => number;
}

export interface PublishedKey extends SigningKey {
  /** When a retired key leaves the JWKS (epoch ms); null for the active key. */
  publishedUntil: number | null;
}

/** Token signing keys: deployment-wide, operator-only. */
export class SigningKeyService {
  private readonly clock: () => number;

  constructor(private readonly deps: SigningKeyServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Makes a new signing key active at once; running servers switch to it within a
   * second. The previous key stays published for `maxAccessTokenTtl` plus clock skew,
   * so every token it signed can still be verified. Without `alg`, the active key's
   * algorithm is kept (else the configured one). Recorded as `key.rotate`.
   */
  rotate(alg?: SigningAlgorithm): Promise<SigningKey> {
    return audited(this.deps.audit, 'key.rotate', { tenant: null, target: null }, () => this.activateNewKey(alg), (key) => ({ target: key.kid, details: { alg: key.alg } }));
  }

  private async activateNewKey(alg?: SigningAlgorithm): Promise<SigningKey> {
    const now = this.clock();
    const current = (await this.deps.keys.listPublishedKeys(now)).find((key) => key.active);
    const key = await generateSigningKey(alg ?? current?.alg ?? this.deps.config.signingAlgorithm, this.deps.keyEncryptionKey, now);
    await this.deps.keys.activateKey(key, now);
    return key;
  }

  /** Generates the first signing key when none is active (first start). Returns it, or undefined. */
  async ensureActive(alg: SigningAlgorithm): Promise<SigningKey | undefined> {
    const keys = await this.deps.keys.listPublishedKeys(this.clock());
    if (keys.some((key) => key.active)) return undefined;
    return this.rotate(alg);
  }

  /**
   * Withdraws a retired signing key at once, for a compromised key: it leaves the JWKS
   * and every token it signed stops verifying. The active key must be rotated first.
   * Recorded as `key.withdraw`.
   */
  withdraw(kid: string): Promise<void> {
    return audited(this.deps.audit, 'key.withdraw', { tenant: null, target: kid }, () => this.withdrawKey(kid));
  }

  private async withdrawKey(kid: string): Promise<void> {
    const outcome = await this.deps.keys.withdrawKey(kid, this.clock());
    if (outcome === 'not_found') throw new NotFoundError(`no signing key with kid "${kid}"`);
    if (outcome === 'active') throw new ConflictError(`key ${kid} is the active signing key: run \`gatehouse keys rotate\` first, then withdraw it`);
  }

  /** The keys in the JWKS, with when each retired one leaves it. */
  async listPublished(): Promise<PublishedKey[]> {
    const retention = keyRetentionMs(this.deps.config);
    const keys = await this.deps.keys.listPublishedKeys(this.clock() - retention);
    return keys.map((key) => ({ ...key, publishedUntil: key.retiredAt === null ? null : key.retiredAt + retention }));
  }
}
