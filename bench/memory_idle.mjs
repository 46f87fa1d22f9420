#!/usr/bin/env node
// Quick memory-only check of the skein proxy: idle VmRSS of the process tree, as
// `npm run bench` measures it (bench/README.md, "c. Memory"), without the
// throughput, latency and peer rows. skein starts with the bench's own bootstrap
// (bench/lib/configs.mjs), small and with N STATIC clusters, both at once; each is
// read every 2 s until --settle s after it answered through to the upstream.
//
//   node bench/memory_idle.mjs                      # small + 1,000 clusters, 60 s
//   node bench/memory_idle.mjs --clusters 0 --settle 30
//   node bench/memory_idle.mjs --home /tmp/skein-copy   # another build (bin/ dist/)
//   node bench/memory_idle.mjs --node-args=--max-semi-space-size=1
//
// The upstream is a node:http server inside this script: it only has to answer the
// readiness probe, and the proxies stay idle afterwards.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { skeinBootstrap, BODY } from './lib/configs.mjs';
import { cleanupOnExit, freePort, sleep, startProcess, treeRssMb, waitHttpOk } from './lib/procs.mjs';
import { ROOT } from './lib/snapshot.mjs';

const { values: a } = parseArgs({
  options: {
    settle: { type: 'string' },
    clusters: { type: 'string' },
    rounds: { type: 'string' },
    home: { type: 'string' },
    'node-args': { type: 'string' },
    'no-pin': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (a.help) {
  console.log(`Usage: node bench/memory_idle.mjs [options]
  --settle S         seconds idle before the reading that counts (default 60, as the bench)
  --clusters N       also run the bootstrap with N extra STATIC clusters (default 1000; 0 = skip)
  --rounds N         repeat N times, print every figure and the median (default 1)
  --home DIR         skein tree to run (DIR/bin/skein; default: this repository)
  --node-args "..."  extra node flags for skein, space-separated (experiments)
  --no-pin           do not pin skein to CPU 0 (the bench pins it)
  --json             print the result as JSON at the end`);
  process.exit(0);
}
const opt = {
  settle: Number(a.settle ?? 60),
  clusters: Number(a.clusters ?? 1000),
  rounds: Number(a.rounds ?? 1),
  home: path.resolve(a.home ?? ROOT),
  nodeArgs: (a['node-args'] ?? '').split(/\s+/).filter(Boolean),
  cpus: a['no-pin'] ? null : '0',
};
cleanupOnExit();

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-memory-'));
const upstream = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY));
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = upstream.address().port;

async function startSkein(name, extraClusters) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(scratch, `${name.replace(/\W+/g, '-')}-`));
  const file = path.join(dir, 'skein.yaml');
  fs.writeFileSync(file, skeinBootstrap({ port, upstreamPort, extraClusters }));
  const args = [...opt.nodeArgs, path.join(opt.home, 'bin', 'skein'), 'proxy', '-c', file, '--concurrency', '1', '--drain-strategy', 'immediate', '--drain-time-s', '0'];
  const proc = startProcess(name, process.execPath, args, { cpus: opt.cpus, logFile: path.join(dir, 'skein.log') });
  const last = extraClusters ? `/c${String(extraClusters - 1).padStart(4, '0')}/` : '/';
  await waitHttpOk(proc, port, last); // through the last route: every cluster is live
  return { name, proc };
}

async function round() {
  const shapes = [['small', 0]];
  if (opt.clusters > 0) shapes.push([`${opt.clusters} clusters`, opt.clusters]);
  const started = await Promise.all(shapes.map(([n, c]) => startSkein(n, c)));
  try {
    const series = started.map(() => []);
    for (let t = 2; t <= Math.max(2, opt.settle); t += 2) {
      await sleep(2000);
      started.forEach((s, i) => series[i].push(treeRssMb(s.proc.pid)));
      if (t % 10 === 0 || t === opt.settle) process.stderr.write(`  ${t}s: ${started.map((s, i) => `${s.name} ${series[i].at(-1)} MB`).join(', ')}\n`);
    }
    return Object.fromEntries(started.map((s, i) => [s.name, { startRssMb: series[i][0], idleRssMb: series[i].at(-1), rssSeriesMb: series[i] }]));
  } finally {
    await Promise.all(started.map((s) => s.proc.stop()));
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rounds = [];
try {
  for (let r = 0; r < opt.rounds; r++) {
    process.stderr.write(`round ${r + 1}/${opt.rounds} (${opt.home}${opt.nodeArgs.length ? `, node ${opt.nodeArgs.join(' ')}` : ''})\n`);
    rounds.push(await round());
  }
} finally {
  upstream.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const names = Object.keys(rounds[0]);
console.log(`idle VmRSS of skein proxy --concurrency 1 (process tree), after 2 s and after ${opt.settle} s idle:`);
for (const n of names) {
  const start = rounds.map((r) => r[n].startRssMb);
  const idle = rounds.map((r) => r[n].idleRssMb);
  console.log(`  ${n.padEnd(16)} 2 s: ${start.join(' / ')} MB   ${opt.settle} s: ${idle.join(' / ')} MB   median ${median(idle)} MB`);
}
if (a.json) console.log(JSON.stringify({ options: opt, rounds }, null, 2));
