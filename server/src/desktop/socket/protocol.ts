/** The /ws/desktop wire protocol: JSON text frames, one message per frame, each with a `type`. */
import { z } from 'zod';

/** The subprotocol the server speaks; a client that cannot set headers also offers `bearer.<token>`. */
export const DESKTOP_SUBPROTOCOL = 'desktop.v1';
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resume'), afterSeq: seq }),
  z.object({ type: z.literal('ping') }),
]);
/** The `type` values a client may send, read from the union so the two cannot disagree. */
export const clientMessageTypes: readonly string[] = clientMessage.options.map((option) => option.shape.type.value);

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
  | { type: 'error'; code: string; message: string; retryAfterMs?: number };

/** Parses a resume point given at connect (`?afterSeq=N`); undefined when absent, null when malformed. */
export function parseAfterSeq(value: string | null): number | undefined | null {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}
