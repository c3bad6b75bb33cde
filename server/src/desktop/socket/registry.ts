/**
 * The sockets of this replica, and the caps (slots.ts) that bound them.
 */
import { CloseCode } from './close-codes.js';
import type { DesktopConnection, DesktopSession } from './connection.js';
import { SocketCaps, type SocketLimits, type SocketSlot } from './slots.js';

export class ConnectionRegistry {
  private readonly connections = new Set<DesktopConnection>();
  private readonly caps: SocketCaps;

  constructor(limits: SocketLimits) {
    this.caps = new SocketCaps(limits);
  }

  get size(): number {
    return this.connections.size;
  }

  /** A slot for a socket from this address, or which cap is full. */
  reserve(address: string): SocketSlot | 'server' | 'address' {
    return this.caps.reserve(address);
  }

  add(connection: DesktopConnection): void {
    this.connections.add(connection);
  }

  delete(connection: DesktopConnection): void {
    this.connections.delete(connection);
  }

  [Symbol.iterator](): IterableIterator<DesktopConnection> {
    return this.connections.values();
  }

  /** Sends every live socket a 1001 and waits (bounded) until they are gone; the rest are cut. */
  async drain(timeoutMs: number): Promise<void> {
    for (const connection of this.connections) connection.close(CloseCode.goingAway, 'server shutting down');
    const deadline = Date.now() + timeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.terminateAll();
  }

  terminateAll(): void {
    for (const connection of this.connections) connection.terminate();
  }

  /** Closes the live sockets whose session matches (a revoked grant, a disabled user). */
  closeWhere(predicate: (session: DesktopSession) => boolean, code: number, reason: string): void {
    for (const connection of this.connections) {
      if (predicate(connection.session)) connection.close(code, reason);
    }
  }

  sessions(): DesktopSession[] {
    return [...this.connections].map((connection) => connection.session);
  }
}
