/** The /ws/desktop wire protocol: JSON text frames, one message per frame, each with a `type`. */
import { z } from 'zod';

/** The subprotocol the server speaks; a client that cannot set headers also offers `bearer.<token>`. */
export const DESKTOP_SUBPROTOCOL = 'desktop.v1';
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/** Application close codes (4000-4999); the standard ones used are 1001, 1008, 1009 and 1011. */
export const CloseCode = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  /** The grant behind the token was revoked (its code was replayed): log in again. */
  tokenRevoked: 4401,
  /** The user was disabled. */
  userDisabled: 4403,
  /** The client read too slowly and its send buffer passed the ceiling: reconnect and resume. */
  slowConsumer: 4408,
} as const;

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resume'), afterSeq: seq }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;
export const clientMessageTypes: readonly string[] = ['resume', 'ping'];

export type ServerMessage =
  | {
      type: 'welcome';
      connectionId: string;
      user: { id: number; username: string; role: string };
      heartbeatMs: number;
      lastSeq: number;
    }
  | { type: 'event'; seq: number; topic: string; data: unknown; createdAt: string }
  | { type: 'resync_required'; afterSeq: number; oldestSeq: number; lastSeq: number; message: string }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

/** Parses a resume point given at connect (`?afterSeq=N`); undefined when absent, null when malformed. */
export function parseAfterSeq(value: string | null): number | undefined | null {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}
