/**
 * The caps on desktop sockets: overall, per client address and per user. A slot is taken when an upgrade is admitted
 * (before the handshake, so a burst of parallel upgrades cannot all slip under a cap) and given back when the upgrade
 * is refused or the socket closes.
 */

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

export class SocketCaps {
  private readonly perAddress = new Map<string, number>();
  private readonly perUser = new Map<number, number>();
  private taken = 0;

  constructor(private readonly limits: SocketLimits) {}

  /** A slot for a socket from this address, or which cap is full. */
  reserve(address: string): SocketSlot | 'server' | 'address' {
    if (this.taken >= this.limits.maxSockets) return 'server';
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxSocketsPerAddress) return 'address';
    this.taken += 1;
    increment(this.perAddress, address);
    return new Slot(this, address);
  }

  /** @internal Slot's side of the counting. */
  claimUser(userId: number): boolean {
    if ((this.perUser.get(userId) ?? 0) >= this.limits.maxSocketsPerUser) return false;
    increment(this.perUser, userId);
    return true;
  }

  /** @internal Slot's side of the counting. */
  giveBack(address: string, userId: number | undefined): void {
    this.taken -= 1;
    decrement(this.perAddress, address);
    if (userId !== undefined) decrement(this.perUser, userId);
  }
}

/** A class rather than two closures: every open socket keeps its slot, and closures would cost a context each. */
class Slot implements SocketSlot {
  private userId: number | undefined;
  private released = false;

  constructor(
    private readonly caps: SocketCaps,
    private readonly address: string,
  ) {}

  claimUser(userId: number): boolean {
    if (this.userId !== undefined) return this.userId === userId;
    if (!this.caps.claimUser(userId)) return false;
    this.userId = userId;
    return true;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.caps.giveBack(this.address, this.userId);
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
