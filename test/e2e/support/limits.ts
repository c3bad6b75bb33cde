/**
 * Issue 11 §7: limits a hostile client must run into. Each answer is 413, 415 or 429 with the JSON error shape, or a
 * refused upgrade, or a documented close code; none is a silent acceptance of unbounded work.
 */
import assert from 'node:assert/strict';
import { DesktopTestClient, desktopToken, postEvent, type ServerFrame } from '../../../server/test/desktop/client.js';
import { request, summarize, type Answer } from './load.js';
import { isJsonError, rawRequest } from './raw.js';
import type { Replica } from './replica.js';
import { sleep } from './wait.js';

interface LimitContext {
  server: Replica;
  /** A fresh ordinary user's API token (each check has its own user, so one limit does not trip the next check). */
  apiToken: string;
}

/** Refusals a limit may answer with, besides 429. */
const CLOSE_CODES_FOR_LIMITS = new Set([1008, 1013, 4429]);

export const limitChecks: Record<string, (context: LimitContext) => Promise<void>> = {
  'a declared Content-Length of 1 TB is refused with 413 before any body arrives': async ({ server }) => {
    const head =
      'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 1099511627776\r\nConnection: close\r\n\r\n';
    const answer = await rawRequest(server.port, head, 3000);
    assert.ok(answer.status === 413 && isJsonError(answer), `${answer.status} after ${answer.ms} ms: ${answer.body}`);
  },

  'UTF-16 and UTF-7 JSON bodies are refused with 415 (RFC 8259: UTF-8 only)': async ({ server }) => {
    const json = JSON.stringify({ username: 'alice', password: 'x' });
    for (const [charset, body] of [
      ['utf-16le', Buffer.from(json, 'utf16le')],
      ['utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])],
      ['utf-7', Buffer.from(json)],
    ] as const) {
      const answer = await request(`charset=${charset}`, `${server.baseUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': `application/json; charset=${charset}` },
        body,
      });
      assert.equal(answer.status, 415, summarize([answer]));
      assert.doesNotMatch(answer.code ?? '', /^\(/);
    }
  },

  'one user cannot post events without limit (429 with Retry-After)': async ({ server, apiToken }) => {
    const answers: Answer[] = [];
    for (let batch = 0; batch < 80 && !answers.some((answer) => answer.status === 429); batch++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            request('POST /api/desktop/events', `${server.baseUrl}/api/desktop/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
              body: JSON.stringify({ topic: 'flood', data: { batch, index, pad: 'x'.repeat(1000) } }),
            }),
          ),
        )),
      );
    }
    const limited = answers.find((answer) => answer.status === 429);
    assert.ok(limited, `${answers.length} events accepted from one user without a 429`);
    assert.ok(limited.retryAfter, 'the 429 has no Retry-After');
    const wrong = answers.filter((answer) => answer.status !== 201 && answer.status !== 429);
    assert.equal(wrong.length, 0, summarize(wrong));
  },

  'one user cannot open sockets without limit (the upgrade is refused)': async ({ server, apiToken }) => {
    const token = await desktopToken(server.baseUrl, apiToken);
    const open: DesktopTestClient[] = [];
    let refusal: string | undefined;
    try {
      for (let index = 0; index < 300 && !refusal; index++) {
        try {
          open.push((await DesktopTestClient.connect(server.wsUrl, { token })).client);
        } catch (error) {
          refusal = String(error);
        }
      }
      assert.ok(refusal, `${open.length} sockets accepted for one user`);
      assert.match(refusal, /upgrade refused with 4\d\d/);
    } finally {
      await Promise.all(open.map((client) => client.close()));
    }
  },

  'resume cannot re-read the whole history over and over': async ({ server, apiToken }) => {
    const history = 20;
    for (let index = 0; index < history; index++) await postEvent(server.baseUrl, apiToken, 'history', { index });
    const token = await desktopToken(server.baseUrl, apiToken);
    const { client, welcome } = await DesktopTestClient.connect(server.wsUrl, { token });
    const lastSeq = welcome.lastSeq as number;
    try {
      for (let attempt = 0; attempt < 50 && client.ws.readyState === 1; attempt++) {
        client.send({ type: 'resume', afterSeq: Math.max(0, lastSeq - history) });
      }
      await sleep(3000);
      const frames: readonly ServerFrame[] = client.pending();
      const replays = frames.filter((frame) => frame.type === 'event').length / history;
      const closed = client.ws.readyState !== 1 ? await client.closed : undefined;
      assert.ok(replays <= 10, `history re-read ${replays} times in 3 s`);
      if (closed) assert.ok(CLOSE_CODES_FOR_LIMITS.has(closed.code), `closed with ${closed.code}`);
    } finally {
      await client.close();
    }
  },
};
