#!/usr/bin/env node
// Child process of bench/control_plane.mjs: skein's DiscoveryServer (the istiod of
// `skein mesh up`) over the generated folder, with the generated pods, in a process
// of its own so its CPU and memory are its own. Run with --expose-gc. Talks over IPC:
//
//   {op: 'start', dir, pods}          → {xdsPort}
//   {op: 'setPods', pods}             → {at}: when setPods was called (epoch ms)
//   {op: 'waitPush', after}           → the first push event that started after
//                                        `after` (epoch ms): {version, durationMs,
//                                        proxies, changed, reason, startedAt, endedAt}
//   {op: 'memory'}                    → {rssMb, heapUsedMb} after a full GC
//   {op: 'stop'}
// Logs (one line per connecting proxy, per push) go to this process's stdout,
// which the parent points at a file.
import path from 'node:path';
import { skeinHome } from './snapshot.mjs';

const { DiscoveryServer } = await import(path.join(skeinHome(), 'dist', 'src', 'discovery', 'server', 'index.js'));
const epochMs = () => performance.timeOrigin + performance.now();
const mb = (x) => Math.round((x / 2 ** 20) * 10) / 10;

let server;
const pushes = []; // push events with their start and end times
const waiters = new Set();

const ops = {
  async start({ dir, pods }) {
    server = new DiscoveryServer({ configPaths: [dir], xdsPort: 0, xdsHost: '127.0.0.1', debugPort: -1, initialPods: pods });
    server.on('push', (e) => {
      const endedAt = epochMs();
      pushes.push({ ...e, endedAt, startedAt: endedAt - e.durationMs });
      for (const w of waiters) w();
    });
    const { xdsPort } = await server.start();
    return { xdsPort };
  },
  async setPods({ pods }) {
    const at = epochMs();
    server.setPods(pods);
    return { at };
  },
  waitPush({ after, timeoutMs = 600_000 }) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const p = pushes.find((e) => e.startedAt >= after);
        if (!p) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(p);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no push within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  },
  async memory() {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
  },
  async stop() {
    await server?.close();
    return {};
  },
};

process.on('message', (msg) => {
  const reply = (body) => process.send?.({ id: msg.id, ...body });
  const op = ops[msg.op];
  if (!op) return reply({ error: `unknown op ${msg.op}` });
  op(msg).then(
    (result) => reply({ result }),
    (err) => reply({ error: err.stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
