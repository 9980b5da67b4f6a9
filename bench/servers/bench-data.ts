// What the Gatehouse bench scripts share (a module without side effects: the scripts
// themselves run when imported).

/** The only redirect URI of the `grants` client; its codes are issued for it. */
export const GRANTS_REDIRECT_URI = 'https://app.example.com/callback';

/** The tenant every bench client and the bench user belong to. */
export const BENCH_TENANT = 'acme';

import type { StatementPlan } from './query-plans.js';

/** What bench/servers/scale-seed.ts created (its `SEEDED <json>` line). */
export interface Seeded {
  /** The client_credentials client (the one in the middle of BENCH_CLIENTS). */
  client: { id: string; secret: string };
  /** BENCH_GRANTS=1 only: the authorization_code + refresh_token client and its user. */
  grants?: { client: { id: string; secret: string }; userId: string };
  /** scale-seed.ts: how many clients and live grants (each with a refresh token), how long it took, the database's size and the hot statements' plans. */
  scale?: { count: number; seedMs: number; clientsMs: number; grantsMs: number; bytes: number; plans: StatementPlan[] };
}
