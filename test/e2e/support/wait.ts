/** Bounded waiting for the e2e scenarios: every wait has a deadline and says what it waited for. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet (a file not written, a port not listening): try again until the deadline
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Loopback source addresses 127.0.0.2-127.0.0.250, so many clients look like many hosts (per-IP limits). */
export function loopbackAddress(index: number): string {
  return `127.0.0.${2 + (index % 249)}`;
}
