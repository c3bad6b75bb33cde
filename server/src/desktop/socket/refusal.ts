/** A refused upgrade: an HTTP status and the JSON error, sent on the raw socket instead of the handshake. */
export interface UpgradeRefusal {
  readonly status: 400 | 401 | 403 | 405 | 429 | 500 | 503;
  /** The `error.code` of the answer and the `reason` label of the rejected-upgrades counter: a small closed set. */
  readonly reason: string;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function refusal(
  status: UpgradeRefusal['status'],
  reason: string,
  message: string,
  headers?: Record<string, string>,
): UpgradeRefusal {
  return headers ? { status, reason, message, headers } : { status, reason, message };
}

export function isRefusal(value: object): value is UpgradeRefusal {
  return 'status' in value && 'reason' in value;
}
