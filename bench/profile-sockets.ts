/**
 * `npm run bench:profile-sockets`: where a desktop socket's heap goes. Heap snapshots of one built server before and
 * after N sockets (opened from another process); prints the retained growth per socket by constructor, largest first.
 * `-- --bare` profiles the yardstick instead (the bare `ws` server), so the two lists can be set side by side.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFixture, createUsers, serverEnv, startReplicas, stopAll } from './lib/fixture.js';
import { startLoad, startTarget } from './lib/processes.js';
import type { DesktopsReply } from './load/desktops.js';
import type { ProbeReply } from './targets/probe-ipc.js';

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size by "type:name" (objects by constructor, strings, closures, code...). */
function sizesByKind(file: string): Map<string, { count: number; bytes: number }> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [
    number,
    number,
    number,
  ];
  const types = heap.snapshot.meta.node_types[0];
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let index = 0; index < heap.nodes.length; index += width) {
    const type = types[heap.nodes[index + typeAt] ?? 0] ?? '?';
    const name = type === 'object' || type === 'closure' ? (heap.strings[heap.nodes[index + nameAt] ?? 0] ?? '?') : '';
    const key = `${type}${name ? `:${name}` : ''}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += heap.nodes[index + sizeAt] ?? 0;
    totals.set(key, entry);
  }
  return totals;
}

const bare = process.argv.includes('--bare');
const fixture = bare ? undefined : await createFixture();
const [replica] = fixture ? await startReplicas(serverEnv(fixture), 1) : [];
const yardstick = bare ? await startTarget('bare-ws.ts', {}, '/') : undefined;
const target = yardstick
  ? { child: yardstick.child, wsUrl: yardstick.url.replace('http', 'ws') }
  : replica && { child: replica.child, wsUrl: replica.wsUrl };
const files = [
  join(tmpdir(), `bench-before-${process.pid}.heapsnapshot`),
  join(tmpdir(), `bench-after-${process.pid}.heapsnapshot`),
];
try {
  if (!target) throw new Error('no server to profile');
  const users = fixture && replica ? await createUsers(fixture, replica.url, 'prof', 10) : [];
  await target.child.request<ProbeReply>({ type: 'heap-snapshot', file: files[0] });
  const clients = startLoad('desktops.ts');
  const sockets = Array.from({ length: SOCKETS }, (_, index) => ({
    url: target.wsUrl,
    token: users[index % users.length]?.desktopToken ?? 'unused',
    replica: 0,
  }));
  const opened = await clients.request<Extract<DesktopsReply, { type: 'opened' }>>({
    type: 'open',
    sockets,
    concurrency: 25,
  });
  await target.child.request<ProbeReply>({ type: 'heap-snapshot', file: files[1] }, 300_000);
  await clients.request({ type: 'close' }).catch(() => undefined);
  await clients.stop();
  const before = sizesByKind(files[0] ?? '');
  const after = sizesByKind(files[1] ?? '');
  const growth = [...after]
    .map(([key, value]) => {
      const base = before.get(key) ?? { count: 0, bytes: 0 };
      return {
        key,
        perSocketBytes: (value.bytes - base.bytes) / opened.opened,
        perSocketCount: (value.count - base.count) / opened.opened,
      };
    })
    .sort((a, b) => b.perSocketBytes - a.perSocketBytes);
  const total = growth.reduce((sum, row) => sum + row.perSocketBytes, 0);
  console.log(
    `${bare ? 'bare ws' : 'our server'}: heap growth per socket over ${opened.opened} sockets: ${(total / 1024).toFixed(2)} KiB (self sizes)`,
  );
  for (const row of growth.slice(0, 20)) {
    console.log(
      `${row.perSocketBytes.toFixed(0).padStart(7)} B  ${row.perSocketCount.toFixed(2).padStart(6)} x  ${row.key}`,
    );
  }
} finally {
  for (const file of files) rmSync(file, { force: true });
  if (replica) await stopAll([replica]);
  await yardstick?.child.stop();
  await fixture?.stop();
}
