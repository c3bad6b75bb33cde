/**
 * Load generator (its own process): a login storm (`concurrency` clients logging in back to back) while a probe
 * loop times GET /health every 20 ms on the same replica.
 */
export type LoginsRequest = {
  type: 'run';
  baseUrl: string;
  username: string;
  password: string;
  concurrency: number;
  durationMs: number;
};
export type LoginsReply = { type: 'done'; logins: number; failed: number; loginP50Ms: number; health: number[] };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function run(request: LoginsRequest): Promise<LoginsReply> {
  const deadline = performance.now() + request.durationMs;
  const loginTimes: number[] = [];
  const health: number[] = [];
  let failed = 0;
  const body = JSON.stringify({ username: request.username, password: request.password });
  const client = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const response = await fetch(`${request.baseUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.text();
      if (response.status === 200) loginTimes.push(performance.now() - started);
      else failed += 1;
    }
  };
  const probe = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const response = await fetch(`${request.baseUrl}/health`);
      await response.text();
      health.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await Promise.all([probe(), ...Array.from({ length: request.concurrency }, client)]);
  return { type: 'done', logins: loginTimes.length, failed, loginP50Ms: percentile(loginTimes, 50), health };
}

process.on('disconnect', () => process.exit(0));
process.on('message', (request: LoginsRequest) => {
  void run(request).then((reply) => {
    process.send?.(reply);
    process.disconnect();
  });
});
