#!/usr/bin/env node
// Child process of bench/control_plane.mjs (run with --expose-gc, so heap figures
// are after a full GC and nothing else lives in this heap): the control plane's
// steps one by one, in process, on the generated mesh folder.
//
//   node --expose-gc cp_translate.mjs DIR PODS.json REPS
//
// prints one JSON line: per step, the median and range over REPS of
//   load            the YAML folder → ConfigObjects (the config store's parser)
//   pushContext     buildPushContext(objects, pods)
//   translate.K     buildProxyResources for one gateway / one sidecar (K)
//   publish.K       what a push does per proxy: translate + decode (validate) + Snapshot
// and the heap: after loading, with the push context, and per published snapshot.
import fs from 'node:fs';
import path from 'node:path';
import { skeinHome } from './snapshot.mjs';

const [dir, podsFile, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 3);
const { pods, nodes } = JSON.parse(fs.readFileSync(podsFile, 'utf8'));
const dist = (p) => import(path.join(skeinHome(), 'dist', 'src', 'discovery', p));
const { loadConfigDirs } = await dist('config/index.js');
const { buildPushContext, parseProxy } = await dist('model/index.js');
const { buildProxyResources, decodeProxyResources } = await dist('translate/index.js');
const { Snapshot } = await dist('xds/cache/snapshot.js');
const { toResourcesByType } = await dist('server/snapshot_publisher.js');

const heapMb = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const stats = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return { median: round(v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2), min: round(v[0]), max: round(v.at(-1)) };
};
/** Runs fn reps times (after one untimed warm-up run: the JIT), returns timing stats and the last result. */
function timed(fn, n = reps) {
  let out = fn();
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    out = fn();
    ms.push(performance.now() - t);
  }
  return { ...stats(ms), out };
}

const result = { reps };
const base = heapMb();

// Loading is async (file reads) and runs once per rep without a warm-up: the parser
// is what a real start-up pays, cold.
const loadMs = [];
let objects;
for (let i = 0; i < reps; i++) {
  const t = performance.now();
  const r = await loadConfigDirs([dir]);
  loadMs.push(performance.now() - t);
  objects = r.objects;
  if (r.issues.length) result.configIssues = r.issues.slice(0, 5);
}
result.load = { ...stats(loadMs), objects: objects.length };
result.heapObjectsMb = round(heapMb() - base);

const pc = timed(() => buildPushContext({ objects, pods }));
const push = pc.out;
result.pushContext = { median: pc.median, min: pc.min, max: pc.max, services: push.services().length, virtualServices: push.virtualServices().length, warnings: push.warnings.length };
result.pushContextWarnings = push.warnings.map((w) => (w.length > 200 ? `${w.slice(0, 200)}…` : w));
result.heapPushContextMb = round(heapMb() - base - result.heapObjectsMb);

for (const [kind, node] of Object.entries(nodes)) {
  const proxy = parseProxy(node);
  const tr = timed(() => buildProxyResources(push, proxy));
  const r = tr.out;
  result[`translate.${kind}`] = {
    median: tr.median, min: tr.min, max: tr.max,
    listeners: r.listeners.length, routes: r.routes.length, clusters: r.clusters.length, endpoints: r.endpoints.length,
    jsonBytes: JSON.stringify({ ...r, warnings: undefined }).length,
    warnings: r.warnings.slice(0, 3),
  };
  const pub = timed(() => Snapshot.fromResources('1', toResourcesByType(decodeProxyResources(buildProxyResources(push, proxy)))));
  result[`publish.${kind}`] = { median: pub.median, min: pub.min, max: pub.max };
  // Heap per snapshot: what the server keeps per connected proxy of this kind.
  const before = heapMb();
  const keep = [];
  const k = 10;
  for (let i = 0; i < k; i++) keep.push(Snapshot.fromResources(String(i), toResourcesByType(decodeProxyResources(buildProxyResources(push, proxy)))));
  result[`publish.${kind}`].heapPerSnapshotMb = round((heapMb() - before) / k, 2);
  keep.length = 0;
}
process.stdout.write(JSON.stringify(result) + '\n');
