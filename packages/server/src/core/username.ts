import { ValidationError } from './errors.js';

/**
 * Usernames: 1-64 characters among ASCII letters, digits and `. _ @ + -` (so an e-mail
 * address fits). ASCII only, so that "compared case-insensitively" has one meaning
 * everywhere (no Unicode case folding, no look-alike letters).
 */
const USERNAME = /^[A-Za-z0-9._@+-]{1,64}$/;

export function isValidUsername(username: string): boolean {
  return USERNAME.test(username);
}

/** Throws ValidationError unless `username` is a valid username. */
export function checkUsername(username: string): void {
  if (!isValidUsername(username)) {
    const shown = username.length > 64 ? `${username.slice(0, 64)}…` : username;
    throw new ValidationError(`invalid username ${JSON.stringify(shown)}: use 1-64 characters among letters, digits and . _ @ + -`, { field: 'username' });
  }
}

/** The form usernames are compared in (and stored under a unique index): lower case. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}
