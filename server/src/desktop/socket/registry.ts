/**
 * The sockets of this replica, and the slots that cap them: overall, per client address and per user. A slot is taken
 * when an upgrade is admitted (before the handshake, so a burst of parallel upgrades cannot all slip under a cap) and
 * given back when the upgrade is refused or the socket closes.
 */
import { CloseCode } from './close-codes.js';
import type { DesktopConnection, DesktopSession } from './connection.js';

export interface SocketLimits {
  /** Open sockets on this replica. */
  readonly maxSockets: number;
  readonly maxSocketsPerAddress: number;
  readonly maxSocketsPerUser: number;
}

/** One admitted or open socket's share of the caps; release is idempotent. */
export interface SocketSlot {
  /** Counts the socket against its user once the token names one; false (and nothing counted) when the user is full. */
  claimUser(userId: number): boolean;
  release(): void;
}

export class ConnectionRegistry {
  private readonly connections = new Set<DesktopConnection>();
  private readonly perAddress = new Map<string, number>();
  private readonly perUser = new Map<number, number>();
  private slots = 0;

  constructor(private readonly limits: SocketLimits) {}

  get size(): number {
    return this.connections.size;
  }

  /** A slot for a socket from this address, or which cap is full. */
  reserve(address: string): SocketSlot | 'server' | 'address' {
    if (this.slots >= this.limits.maxSockets) return 'server';
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxSocketsPerAddress) return 'address';
    this.slots += 1;
    increment(this.perAddress, address);
    let userId: number | undefined;
    let released = false;
    return {
      claimUser: (id) => {
        if (userId !== undefined) return userId === id;
        if ((this.perUser.get(id) ?? 0) >= this.limits.maxSocketsPerUser) return false;
        userId = id;
        increment(this.perUser, id);
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.slots -= 1;
        decrement(this.perAddress, address);
        if (userId !== undefined) decrement(this.perUser, userId);
      },
    };
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

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
