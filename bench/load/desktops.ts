/**
 * Load generator (its own process): opens desktop sockets, records when each opened, and for every event frame the
 * latency from the producer's POST start (`data.t`, wall-clock ms) and whether the producer used this socket's
 * replica. Tracks seq per socket to count duplicates and gaps (exactly-once check).
 */
import { WebSocket } from 'ws';

export interface SocketPlan {
  url: string;
  token: string;
  /** Which replica this socket is on (compared with the producer's). */
  replica: number;
}
export type DesktopsRequest =
  | { type: 'open'; sockets: SocketPlan[]; concurrency: number; afterSeq?: number }
  | { type: 'report' }
  | { type: 'reset' }
  | { type: 'close' };
export interface DeliveryStats {
  same: number[];
  cross: number[];
  delivered: number;
  duplicates: number;
  gaps: number;
}
export type DesktopsReply =
  | { type: 'opened'; opened: number; failed: number; ms: number; firstError?: string }
  | { type: 'report'; stats: DeliveryStats }
  | { type: 'closed' };

const now = () => performance.timeOrigin + performance.now();
const open: { ws: WebSocket; lastSeq: number; replica: number }[] = [];
let stats: DeliveryStats = { same: [], cross: [], delivered: 0, duplicates: 0, gaps: 0 };

function connect(plan: SocketPlan, afterSeq: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = afterSeq === undefined ? plan.url : `${plan.url}?afterSeq=${afterSeq}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${plan.token}` } });
    // Without a resume point the first event sets the baseline (-1: none seen yet).
    const entry = { ws, lastSeq: afterSeq ?? -1, replica: plan.replica };
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${String(res.statusCode)}`));
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => {
      reject(new Error(`closed ${code} ${reason.toString('utf8')}`));
    });
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as {
        type: string;
        seq?: number;
        data?: { t?: number; p?: number };
      };
      if (frame.type === 'welcome') {
        open.push(entry);
        resolve();
        return;
      }
      if (frame.type !== 'event' || frame.seq === undefined) return;
      if (entry.lastSeq === -1) entry.lastSeq = frame.seq - 1;
      if (frame.seq <= entry.lastSeq) stats.duplicates += 1;
      else if (frame.seq > entry.lastSeq + 1) stats.gaps += frame.seq - entry.lastSeq - 1;
      entry.lastSeq = Math.max(entry.lastSeq, frame.seq);
      stats.delivered += 1;
      const sentAt = frame.data?.t;
      if (typeof sentAt === 'number') (frame.data?.p === entry.replica ? stats.same : stats.cross).push(now() - sentAt);
    });
  });
}

async function openAll(plans: SocketPlan[], concurrency: number, afterSeq: number | undefined): Promise<DesktopsReply> {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < plans.length) {
      const plan = plans[next++] as SocketPlan;
      try {
        await connect(plan, afterSeq);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plans.length) }, lane));
  return {
    type: 'opened',
    opened: plans.length - failed,
    failed,
    ms: performance.now() - started,
    ...(firstError ? { firstError } : {}),
  };
}

// A load generator never outlives the benchmark that started it.
process.on('disconnect', () => process.exit(0));
process.on('message', (request: DesktopsRequest) => {
  const reply = (message: DesktopsReply) => process.send?.(message);
  if (request.type === 'open') void openAll(request.sockets, request.concurrency, request.afterSeq).then(reply);
  else if (request.type === 'report') reply({ type: 'report', stats });
  else if (request.type === 'reset') stats = { same: [], cross: [], delivered: 0, duplicates: 0, gaps: 0 };
  else {
    for (const { ws } of open) ws.terminate();
    reply({ type: 'closed' });
    process.disconnect();
  }
});
