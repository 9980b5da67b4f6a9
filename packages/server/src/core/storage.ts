/**
 * The storage role interfaces, one file per role under ./storage/ (tenants, users,
 * clients, scopes, keys, settings, revocations, throttle, codes, grants, refresh tokens,
 * consents, audit) and the Storage that groups them (./storage/index.ts, which states the rules
 * every implementation follows). This barrel keeps `core/storage.js` the one import path.
 */
export * from './storage/index.js';
