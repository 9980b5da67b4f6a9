import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { openSecret, sealSecret } from './secrets.js';
import type { KeyStore } from './storage.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

/** Public JWK members only: a JWKS must never carry private key material. */
const PUBLIC_MEMBERS: Record<SigningAlgorithm, readonly string[]> = {
  ES256: ['kty', 'crv', 'x', 'y'],
  RS256: ['kty', 'n', 'e'],
};

function publicJwkOf(jwk: JWK, alg: SigningAlgorithm, kid: string): JWK {
  const source = jwk as Record<string, unknown>;
  const pub: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS[alg]) pub[member] = source[member];
  return { ...pub, kid, alg, use: 'sig' } as JWK;
}

/** Generates a fresh signing key; its private half is sealed with `encryptionKey`. */
export async function generateSigningKey(alg: SigningAlgorithm, encryptionKey: Buffer, now: number): Promise<SigningKey> {
  let privateJwk: JWK;
  let kid: string;
  // kid: the RFC 7638 thumbprint, so it is stable and says nothing but the key itself. A
  // thumbprint starting with "-" is drawn again (one key in 64): `gatehouse keys withdraw
  // -abc…` would read the kid as an option.
  do {
    const { privateKey } =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
    kid = await calculateJwkThumbprint(publicJwkOf(privateJwk, alg, ''), 'sha256');
  } while (kid.startsWith('-'));
  return {
    kid,
    alg,
    publicJwk: publicJwkOf(privateJwk, alg, kid),
    sealedPrivateJwk: sealSecret(JSON.stringify(privateJwk), encryptionKey, `signing-key:${kid}`),
    createdAt: now,
    active: true,
    retiredAt: null,
    withdrawnAt: null,
  };
}

/** Slack added to key retention, for verifiers whose clocks run behind. */
export const KEY_RETENTION_SKEW_SECONDS = 300;

/** How long a retired key stays published: the longest possible token lifetime plus skew. */
export function keyRetentionMs(config: { maxAccessTokenTtl: number }): number {
  return (config.maxAccessTokenTtl + KEY_RETENTION_SKEW_SECONDS) * 1000;
}

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: KeyObject;
}

/**
 * The server's view of its signing keys: the active private key and every published
 * public key, re-read from the KeyStore at most every `refreshMs`, so a rotation made
 * by the CLI or another server process is picked up within that time. A retired key
 * stays published for `retentionMs` after its retirement. A failed refresh keeps the
 * keys already loaded (signing and verification go on through a storage blip) and is
 * reported through `onError`; with nothing loaded it throws.
 */
export interface KeyRingOptions {
  refreshMs: number;
  /** How long a retired key stays published (the longest token lifetime plus skew). */
  retentionMs: number;
  clock?: () => number;
  onError?: (error: unknown) => void;
}

export class KeyRing {
  private active: ActiveSigningKey | undefined;
  private published = new Map<string, VerificationKey & { jwk: JWK }>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly store: Pick<KeyStore, 'listPublishedKeys'>,
    private readonly encryptionKey: Buffer,
    private readonly options: KeyRingOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  async signingKey(): Promise<ActiveSigningKey> {
    await this.fresh();
    if (!this.active) throw new Error('no active signing key: run `gatehouse keys rotate`');
    return this.active;
  }

  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    await this.fresh();
    return this.published.get(kid);
  }

  /**
   * The published key with this kid when the ring's view is current (read within
   * `refreshMs`), without waiting; undefined when it is not published or the ring must
   * re-read the store first (then `verificationKey` does).
   */
  currentVerificationKey(kid: string): VerificationKey | undefined {
    return this.clock() - this.loadedAt < this.options.refreshMs ? this.published.get(kid) : undefined;
  }

  /** The JWKS document: public members only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return { keys: [...this.published.values()].map((key) => key.jwk) };
  }

  /** Forces the next call to re-read the store (after a rotation in this process). */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  private async fresh(): Promise<void> {
    if (this.clock() - this.loadedAt < this.options.refreshMs) return;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    try {
      await this.loading;
    } catch (error) {
      this.options.onError?.(error);
      if (!this.active) throw error;
    }
  }

  private async load(): Promise<void> {
    const now = this.clock();
    const keys = await this.store.listPublishedKeys(now - this.options.retentionMs);
    const published = new Map<string, VerificationKey & { jwk: JWK }>();
    for (const key of keys) {
      const known = this.published.get(key.kid);
      published.set(
        key.kid,
        known ?? { kid: key.kid, alg: key.alg, jwk: key.publicJwk, publicKey: createPublicKey({ key: key.publicJwk as never, format: 'jwk' }) },
      );
    }
    // The store keeps one active key; should two ever be marked, the newest signs.
    const newest = keys.filter((key) => key.active).sort((a, b) => b.createdAt - a.createdAt)[0];
    const active =
      newest === undefined ? undefined : this.active?.kid === newest.kid ? this.active : { kid: newest.kid, alg: newest.alg, privateKey: this.unseal(newest) };
    this.published = published;
    this.active = active;
    this.loadedAt = now;
  }

  private unseal(key: SigningKey): KeyObject {
    const jwk = JSON.parse(openSecret(key.sealedPrivateJwk, this.encryptionKey, `signing-key:${key.kid}`)) as JWK;
    return createPrivateKey({ key: jwk as never, format: 'jwk' });
  }
}
