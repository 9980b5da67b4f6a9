/**
 * The state of a running server that outlives any one request: shared by the public
 * listener (which answers `Connection: close` while draining), the management listener
 * (`/health/ready` answers 503 while draining) and the signal handlers of `gatehouse serve`.
 */
export interface Lifecycle {
  /** Set at once on SIGTERM/SIGINT: the process is on its way out and must get no new traffic. */
  draining: boolean;
}

export function createLifecycle(): Lifecycle {
  return { draining: false };
}
