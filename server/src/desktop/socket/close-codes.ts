/**
 * Every WebSocket close code the server sends, records or documents, by name (RFC 6455 section 7.4 and the
 * application range 4000-4999). Clients act on them as docs/desktop-protocol.md says.
 */
export const CloseCode = {
  /** The client ended the session. */
  normal: 1000,
  /** Server shutdown (a rollout): reconnect and resume. */
  goingAway: 1001,
  /** A frame broke the WebSocket protocol (ws sends it and stops reading). */
  protocolError: 1002,
  /** A close frame without a status code: what `close()` with no code sends. */
  noStatus: 1005,
  /** No close frame at all: the connection dropped, or the server terminated it (missed pong). */
  abnormal: 1006,
  /** A text frame that is not valid UTF-8. */
  invalidPayload: 1007,
  /** Policy: the token expired, the message rate limit was passed, or a message came in too many fragments. */
  policyViolation: 1008,
  /** A frame above the payload limit (WS_MAX_PAYLOAD_BYTES). */
  messageTooBig: 1009,
  /** The server failed while starting the connection. */
  internalError: 1011,
  /** The grant behind the token was revoked (its code was replayed), or the account changed: log in again. */
  tokenRevoked: 4401,
  /** The user was disabled. */
  userDisabled: 4403,
  /** The client read too slowly and its send buffer passed the ceiling: reconnect and resume. */
  slowConsumer: 4408,
} as const;

/** The codes a close frame from the server may carry: the documented ones (1005 and 1006 are never in a frame). */
export const SENT_CLOSE_CODES: ReadonlySet<number> = new Set<number>(
  Object.values(CloseCode).filter((code) => code !== CloseCode.noStatus && code !== CloseCode.abnormal),
);

/** The close code ws sends for each protocol error it detects in a client's frames; the rest are 1002. */
const WS_ERROR_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.messageTooBig,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: CloseCode.messageTooBig,
  WS_ERR_INVALID_UTF8: CloseCode.invalidPayload,
  // More than ws's maxFragments (16384) fragments in one message, or buffered chunks past its maxBufferedChunks.
  WS_ERR_TOO_MANY_BUFFERED_PARTS: CloseCode.policyViolation,
};

export function closeCodeOfWsError(errorCode: string | undefined): number {
  return WS_ERROR_CLOSE_CODES[errorCode ?? ''] ?? CloseCode.protocolError;
}

// Clients may close with any code from 1000 to 4999; only the named ones become labels, so the series stay few.
const LABELLED_CLOSE_CODES = new Set<number>(Object.values(CloseCode));

/** The `code` label of the closes counter. */
export function closeCodeLabel(code: number): string {
  return LABELLED_CLOSE_CODES.has(code) ? String(code) : 'other';
}
