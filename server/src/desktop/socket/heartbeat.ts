/**
 * Pings every socket each interval; one that has not answered the previous ping is terminated. The interval stays
 * below the load balancer's idle timeout (config checks it), so a quiet socket is never cut by the ALB.
 */
import type { ConnectionRegistry } from './registry.js';

/** Starts the heartbeat; returns its stop function. */
export function startHeartbeat(registry: ConnectionRegistry, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const connection of registry) connection.checkAlive();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
