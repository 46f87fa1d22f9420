#!/usr/bin/env node
// Summarize a V8 .cpuprofile (node --cpu-prof) as text: self time by function,
// by area (skein source file, undici, node core module, GC, idle), so a profile
// can be read and compared in a terminal or a report without DevTools.
//
//   node bench/profile.mjs bench/results/skein.cpuprofile [--top 30]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a frame's code lives, coarse enough to add up usefully. */
function area(frame) {
  const { url, functionName } = frame;
  if (!url) return /^\(.*\)$/.test(functionName) ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node core: ${url.slice(5)}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return `dependency: ${url.slice(nm + 14).split('/').slice(0, url.includes('/node_modules/@') ? 2 : 1).join('/')}`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `skein: ${url.slice(dist + 6)}`;
  return url;
}

function shortUrl(url) {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6) : path.basename(url);
}

const frameName = (cf) => `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;

/** Self time per function and per area, in ms and % of all sampled time. */
export function summarizeProfile(profile, window = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> µs
  // window: { fromUs, toUs } on the monotonic clock (process.hrtime), which is the
  // clock V8 stamps samples with; run.mjs uses it to leave start-up out.
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if ((window.fromUs != null && t < window.fromUs) || (window.toUs != null && t > window.toUs)) continue;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isSkein = (cf) => cf.url.includes('/dist/src/');
  let total = 0;
  let idle = 0;
  const fns = new Map();
  const areas = new Map();
  const bySkeinFrame = new Map(); // nearest skein frame on the stack -> µs
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    // Charge every sample to the closest skein function on its stack, so native
    // writes, node core and undici time show up under the skein code that caused it.
    let up = id;
    while (up != null && !isSkein(byId.get(up).callFrame)) up = parent.get(up);
    const owner = up == null ? '(no skein frame on the stack)' : frameName(byId.get(up).callFrame);
    if (cf.functionName !== '(idle)') bySkeinFrame.set(owner, (bySkeinFrame.get(owner) ?? 0) + us);
    total += us;
    if (cf.functionName === '(idle)') idle += us;
    const key = frameName(cf);
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(cf);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const rank = (m) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .map(([name, us]) => ({ name, ms: us / 1000, pct: (100 * us) / total, busyPct: (100 * us) / (total - idle) }));
  // Areas rolled up one more level: all of skein, each dependency, node core, GC...
  const groups = new Map();
  for (const [a, us] of areas) {
    const g = a.startsWith('skein: ') ? 'skein (all files)' : a.startsWith('node core: ') ? 'node core (all modules)' : a;
    groups.set(g, (groups.get(g) ?? 0) + us);
  }
  return { totalMs: total / 1000, idleMs: idle / 1000, functions: rank(fns), areas: rank(areas), groups: rank(groups), bySkeinFrame: rank(bySkeinFrame) };
}

export function profileText(s, top = 25) {
  const rows = (list, n) => list.slice(0, n).map((r) => `  ${r.busyPct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`).join('\n');
  return [
    `sampled ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms (${((100 * s.idleMs) / s.totalMs).toFixed(1)}%); percentages below are of busy (non-idle) time`,
    '',
    'by group:',
    rows(s.groups.filter((r) => r.name !== '(idle)'), 12),
    '',
    'by area (file / module):',
    rows(s.areas.filter((r) => r.name !== '(idle)'), top),
    '',
    `top ${top} functions by self time:`,
    rows(s.functions.filter((r) => !r.name.startsWith('(idle)')), top),
    '',
    `top ${top} skein functions by time charged to them (their own + the native, node core and`,
    'dependency code below them, up to the next skein frame):',
    rows(s.bySkeinFrame, top),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile.mjs FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  console.log(profileText(summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8'))), i > 0 ? Number(process.argv[i + 1]) : 25));
}
