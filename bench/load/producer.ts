/**
 * Load generator (its own process): POSTs desktop events at a steady rate for a while, each stamped with the wall
 * clock at POST start (`t`) and the replica it was sent to (`p`), round robin over the targets.
 */
export interface ProducerTarget {
  baseUrl: string;
  /** The user's API token: each user posts to its own desktops. */
  token: string;
  replica: number;
}
export type ProducerRequest = { type: 'run'; targets: ProducerTarget[]; ratePerSecond: number; durationMs: number };
export type ProducerReply = { type: 'done'; sent: number; failed: number; firstError?: string };

const MAX_IN_FLIGHT = 256;

async function run(request: ProducerRequest): Promise<ProducerReply> {
  const total = Math.round((request.ratePerSecond * request.durationMs) / 1000);
  const interval = 1000 / request.ratePerSecond;
  const started = performance.now();
  let inFlight = 0;
  let sent = 0;
  let failed = 0;
  let firstError: string | undefined;
  const posts: Promise<void>[] = [];
  for (let index = 0; index < total; index += 1) {
    const due = started + index * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= MAX_IN_FLIGHT) {
      failed += 1;
      continue;
    }
    const target = request.targets[index % request.targets.length] as ProducerTarget;
    inFlight += 1;
    const t = performance.timeOrigin + performance.now();
    posts.push(
      fetch(`${target.baseUrl}/api/desktop/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
        body: JSON.stringify({ topic: 'bench', data: { t, p: target.replica } }),
      })
        .then(async (response) => {
          const text = await response.text();
          if (response.status === 201) sent += 1;
          else {
            failed += 1;
            firstError ??= `${response.status} ${text}`;
          }
        })
        .catch((error: unknown) => {
          failed += 1;
          firstError ??= String(error);
        })
        .finally(() => {
          inFlight -= 1;
        }),
    );
  }
  await Promise.all(posts);
  return { type: 'done', sent, failed, ...(firstError ? { firstError } : {}) };
}

process.on('disconnect', () => process.exit(0));
process.on('message', (request: ProducerRequest) => {
  void run(request).then((reply) => {
    process.send?.(reply);
    process.disconnect();
  });
});
