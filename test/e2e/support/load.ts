/**
 * Load for the scenarios: loops that each send one request at a time until stopped (bounded in time anyway), and
 * record every answer, so a scenario can judge all of them afterwards (status, error code, duration).
 */
import { sleep } from './wait.js';

export interface Answer {
  what: string;
  /** 0 when no HTTP answer came at all (connection refused or reset, timeout). */
  status: number;
  /** The JSON error code, when the answer was an error. */
  code?: string;
  retryAfter?: string;
  /** The user an event was posted for (producers). */
  userId?: number;
  /** The parsed JSON body of a successful answer. */
  body?: unknown;
  /** Why no answer came. */
  failure?: string;
  startedAt: number;
  ms: number;
}

export interface Load {
  readonly answers: Answer[];
  stop(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** One request, recorded; never throws. */
export async function request(what: string, url: string, init: RequestInit = {}): Promise<Answer> {
  const startedAt = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    let code: string | undefined;
    if (response.status >= 400) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      code =
        typeof error?.code === 'string' && typeof error.message === 'string'
          ? error.code
          : `(not the JSON error shape: ${text.slice(0, 60)})`;
    }
    return {
      what,
      status: response.status,
      ...(code === undefined ? { body: json } : { code }),
      ...(response.headers.get('retry-after') ? { retryAfter: response.headers.get('retry-after')! } : {}),
      startedAt,
      ms: Date.now() - startedAt,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { what, status: 0, failure: cause ?? String(error), startedAt, ms: Date.now() - startedAt };
  }
}

/** `concurrency` loops, each calling `send` then pausing `pauseMs`, until stopped or `maxMs` passes. */
export function startLoad(
  concurrency: number,
  pauseMs: number,
  maxMs: number,
  send: (loop: number, iteration: number) => Promise<Answer>,
): Load {
  const answers: Answer[] = [];
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loops = Array.from({ length: concurrency }, async (_, loop) => {
    for (let iteration = 0; !stopped && Date.now() < deadline; iteration++) {
      answers.push(await send(loop, iteration));
      await sleep(pauseMs);
    }
  });
  return {
    answers,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

export function postEventRequest(
  baseUrl: string,
  token: string,
  topic: string,
  data: unknown,
): RequestInit & { url: string } {
  return {
    url: `${baseUrl}/api/desktop/events`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ topic, data }),
  };
}

/** A short account of answers a scenario does not allow, grouped by kind with a count, for assertion messages. */
export function summarize(answers: readonly Answer[], limit = 12): string {
  const kinds = new Map<string, { count: number; slowest: number }>();
  for (const answer of answers) {
    const key = `${answer.what}: ${answer.status || answer.failure} ${answer.code ?? ''}`.trim();
    const kind = kinds.get(key) ?? { count: 0, slowest: 0 };
    kinds.set(key, { count: kind.count + 1, slowest: Math.max(kind.slowest, answer.ms) });
  }
  return [...kinds]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, limit)
    .map(([key, kind]) => `${kind.count} × ${key} (slowest ${kind.slowest} ms)`)
    .join('\n');
}
