#!/usr/bin/env node
// Benchmark of skein's xDS control plane against DESIGN §6:
//   "one endpoint change reaches 1,000 connected proxies (all ACKed) in ≤ 1 s on this
//    2-core machine; ≤ 1 MB of memory per connected proxy; delta xDS sends ≥ 10× fewer
//    bytes than SotW for a one-endpoint change at 1,000 clusters".
//
// The real file-driven server (`bin/skein xds serve`, built dist/) runs as its own
// process over a generated folder. Simulated proxies are real gRPC ADS streams, one
// HTTP/2 connection each, in 1–2 client processes (bench/lib/xds_clients.mjs); they
// subscribe like Envoy (wildcard CDS and LDS, then EDS and RDS by name) and ACK every
// response. For each folder (small: 10 clusters; large: 1,000 clusters), protocol
// (SotW, delta) and proxy count (1, 100, 1,000) it measures:
//   - initial sync: connect → every proxy has ACKed CDS, EDS, LDS and RDS;
//   - one endpoint change, `--reps` times: one endpoints file rewritten (one port) →
//     the server's "serving version" log line → the last proxy's EDS ACK, read from
//     the server's /debug/syncz ackedAt and from the clients' own "ACK sent" times;
//   - bytes the server pushed for that change (/debug/metrics pushBytes, all types);
//   - server RSS before any proxy connects and with N proxies synced.
// Medians over the reps are reported; bench/results/xds-latest.json keeps every rep.
//
//   node bench/xds.mjs              full run (about 1.5 minutes on a quiet machine)
//   node bench/xds.mjs --quick      1 rep, fewer points (under a minute)
//   node bench/xds.mjs --profile    CPU-profile the server for the 1,000-proxy changes
//   node bench/xds.mjs --help
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeProfile, profileText } from './profile.mjs';
import { cpuWindow, waitQuiet } from './lib/procs.mjs';
import { skeinRevision, snapshotSkein } from './lib/snapshot.mjs';
import {
  ROOT,
  childPids,
  cleanupAll,
  cleanupOnExit,
  makeTempDir,
  monoUs,
  now,
  sleep,
  startClientProcess,
  startServer,
  writeFolder,
} from './lib/xds_server.mjs';

const HELP = `Usage: node bench/xds.mjs [options]
  --quick               one rep per point, 1 and 1,000 proxies only (under a minute)
  --reps N              endpoint changes per point, median reported (default 3)
  --proxies LIST        proxy counts (default 1,100,1000)
  --clusters N          clusters in the large folder (default 1000)
  --small-clusters N    clusters in the small folder (default 10; 0 skips it)
  --protocols LIST      sotw,delta (default both)
  --client-procs N      client processes the proxies are spread over (default 2)
  --pin                 pin the server to CPU 0 and the clients to CPU 1 (taskset)
  --profile             run the server under --cpu-prof and summarize the window of
                        the 1,000-proxy changes (large folder only)
  --out FILE            JSON result file (default bench/results/xds-latest.json)
  --keep-logs           copy the server logs to bench/results/logs/xds-*.log
  --quiet-wait S        before each point, wait up to S s for other processes to use
                        under 15% of a CPU (default 60; 0 = do not wait)
`;

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    proxies: { type: 'string' },
    clusters: { type: 'string', default: '1000' },
    'small-clusters': { type: 'string', default: '10' },
    protocols: { type: 'string', default: 'sotw,delta' },
    'client-procs': { type: 'string', default: '2' },
    pin: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const opts = {
  reps: Number(a.reps ?? (a.quick ? 1 : 3)),
  proxies: (a.proxies ?? (a.quick ? '1,1000' : '1,100,1000')).split(',').map(Number),
  clusters: Number(a.clusters),
  smallClusters: Number(a['small-clusters']),
  protocols: a.protocols.split(','),
  clientProcs: Math.max(1, Number(a['client-procs'])),
  pin: a.pin,
  quietWait: Number(a['quiet-wait']),
  profile: a.profile,
  out: a.out ?? path.join(ROOT, 'bench/results/xds-latest.json'),
};
if (opts.profile) {
  opts.proxies = [Math.max(...opts.proxies)];
  opts.smallClusters = 0;
}
const SETTLE_MS = a.quick ? 1000 : 2000;
const SERVER_CPU = opts.pin ? '0' : undefined;
const CLIENT_CPU = opts.pin ? '1' : undefined;

const median = (xs) => {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((p, q) => p - q);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const max = (xs) => xs.reduce((m, x) => (x != null && x > m ? x : m), -Infinity);
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const log = (msg) => process.stderr.write(msg + '\n');

function sumPushBytes(metrics) {
  let bytes = 0;
  let pushes = 0;
  for (const t of Object.values(metrics.types)) {
    bytes += t.pushBytes;
    pushes += t.pushes;
  }
  return { bytes, pushes, edsBytes: metrics.types.EDS?.pushBytes ?? 0, edsPushes: metrics.types.EDS?.pushes ?? 0 };
}

async function waitConnected(server, n, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = await server.metrics();
    if (m.connectedStreams === n) return;
    if (Date.now() > until) throw new Error(`server still has ${m.connectedStreams} streams, expected ${n}`);
    await sleep(100);
  }
}

/** The EDS entries of /debug/syncz that ACKed `version`, once all n streams have. */
async function ackedOnServer(server, version, n, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const acked = (await server.syncz()).map((s) => s.types?.EDS).filter((e) => e?.ackedVersion === version);
    if (acked.length === n) return acked;
    if (Date.now() > until) throw new Error(`/debug/syncz shows ${acked.length} of ${n} streams with EDS ${version} ACKed`);
    await sleep(50);
  }
}

/** Connects n proxies over the client processes, measures initial sync, runs the changes. */
async function runPoint(server, folder, protocol, n, windows) {
  const procs = [];
  const k = Math.min(opts.clientProcs, n);
  for (let i = 0; i < k; i++) procs.push(await startClientProcess({ cpus: CLIENT_CPU }));
  const point = { protocol, proxies: n, clientProcesses: k };
  try {
    // ---- initial sync ----
    const t0 = now();
    const connectMono = monoUs();
    const per = Math.ceil(n / k);
    const results = await server.guard(
      Promise.all(procs.map((p, i) => p.call('connect', { port: server.port, protocol, from: i * per, to: Math.min(n, (i + 1) * per) }))),
    );
    for (const r of results) if (!r.complete) throw new Error(`initial sync incomplete: ${r.failures} failed streams; ${[...r.errors, ...r.stuck].join('; ')}`);
    const synced = results.flatMap((r) => r.synced);
    point.initialSyncMs = round(max(synced) - t0);
    point.initialSyncMedianMs = round(median(synced.map((s) => s - t0)));
    windows?.push({ what: `${protocol} initial sync of ${n}`, fromUs: connectMono, toUs: monoUs() });
    await waitConnected(server, n);
    await sleep(SETTLE_MS);
    point.serverRssMb = round(server.rssMb());
    point.afterGc = await server.memory();

    // ---- endpoint changes ----
    point.reps = [];
    for (let rep = 0; rep < opts.reps; rep++) {
      await sleep(300);
      const before = sumPushBytes(await server.metrics());
      const fromMono = monoUs();
      const tWrite = folder.change();
      const { version, time: tServing } = await server.nextVersion(tWrite);
      const answers = await server.guard(Promise.all(procs.map((p) => p.call('await', { version, timeoutMs: 60_000 }))));
      const toMono = monoUs();
      for (const r of answers) if (!r.complete) throw new Error(`version ${version} not ACKed by every proxy in 60 s; ${r.errors.join('; ')}`);
      // The clients have written their ACKs; the server may still be reading the last ones.
      const acked = await ackedOnServer(server, version, n);
      const after = sumPushBytes(await server.metrics());
      const lastAckServer = max(acked.map((e) => Date.parse(e.ackedAt)));
      const firstSentServer = Math.min(...acked.map((e) => Date.parse(e.sentAt)));
      const lastSentServer = max(acked.map((e) => Date.parse(e.sentAt)));
      const acks = answers.flatMap((r) => r.ack);
      const recvs = answers.flatMap((r) => r.recv);
      const r = {
        version,
        writeToServingMs: round(tServing - tWrite),
        servingToFirstSendMs: round(firstSentServer - tServing),
        servingToLastSendMs: round(lastSentServer - tServing),
        servingToLastAckMs: round(lastAckServer - tServing),
        writeToLastAckMs: round(lastAckServer - tWrite),
        writeToLastAckClientMs: round(max(acks) - tWrite),
        writeToMedianAckClientMs: round(median(acks.map((x) => x - tWrite))),
        writeToFirstRecvClientMs: round(Math.min(...recvs) - tWrite),
        bytes: after.bytes - before.bytes,
        pushes: after.pushes - before.pushes,
        edsBytes: after.edsBytes - before.edsBytes,
        edsPushes: after.edsPushes - before.edsPushes,
      };
      r.bytesPerProxy = round(r.bytes / n);
      point.reps.push(r);
      windows?.push({ what: `${protocol} change to ${n}`, fromUs: fromMono, toUs: toMono });
      log(
        `    rep ${rep + 1}: write→serving ${r.writeToServingMs} ms, serving→last ACK ${r.servingToLastAckMs} ms, ` +
          `write→last ACK ${r.writeToLastAckMs} ms (client ${r.writeToLastAckClientMs}), ${r.bytesPerProxy} B/proxy`,
      );
    }
    const med = (key) => round(median(point.reps.map((r) => r[key])));
    point.median = Object.fromEntries(
      ['writeToServingMs', 'servingToFirstSendMs', 'servingToLastSendMs', 'servingToLastAckMs', 'writeToLastAckMs', 'writeToLastAckClientMs', 'writeToMedianAckClientMs', 'bytesPerProxy'].map(
        (k) => [k, med(k)],
      ),
    );
    point.range = {
      writeToLastAckMs: [Math.min(...point.reps.map((r) => r.writeToLastAckMs)), max(point.reps.map((r) => r.writeToLastAckMs))],
    };
  } finally {
    const closes = await Promise.all(procs.map((p) => p.call('close').catch(() => undefined)));
    point.clientCpuMs = round(closes.reduce((s, c) => s + (c ? (c.cpu.user + c.cpu.system) / 1000 : 0), 0), 0);
    await Promise.all(procs.map((p) => p.stop()));
  }
  await waitConnected(server, 0).catch((err) => log(`    warning: ${err.message}`));
  return point;
}

async function runFolder(label, clusters, tmp) {
  const dir = path.join(tmp, label);
  const folder = writeFolder(dir, clusters);
  const groups = [];
  for (const protocol of opts.protocols) {
    // A fresh server per protocol: RSS before any proxy connects is the baseline.
    const profileDir = opts.profile ? path.join(tmp, `prof-${clusters}-clusters-${protocol}`) : undefined;
    const logFile = path.join(tmp, `server-${label}-${protocol}.log`);
    const startAt = now();
    const server = await startServer(dir, { cpus: SERVER_CPU, profileDir, logFile });
    const group = { folder: label, clusters, protocol, serverStartMs: round(now() - startAt, 0), points: [] };
    groups.push(group);
    const windows = opts.profile ? [] : undefined;
    try {
      // The idle baseline is taken after a forced full GC (start-up garbage from parsing
      // the folder gone); the loaded figure below is taken before one, so the RSS per
      // proxy errs on the high side.
      await sleep(SETTLE_MS);
      group.idleRssBeforeGcMb = round(server.rssMb());
      group.idleAfterGc = await server.memory();
      group.idleRssMb = group.idleAfterGc ? group.idleAfterGc.rssMb : group.idleRssBeforeGcMb;
      for (const n of opts.proxies) {
        log(`${label} (${clusters} clusters), ${protocol}, ${n} prox${n === 1 ? 'y' : 'ies'}:`);
        // The machine is shared: start each point on a quiet machine if we can, and
        // record how much CPU other processes took during it (the † mark).
        const busy = await waitQuiet(opts.quietWait, { also: childPids });
        if (busy >= 15) log(`    (machine still busy: others at ${busy}% CPU)`);
        const window = cpuWindow(undefined, { also: childPids });
        const point = await runPoint(server, folder, protocol, n, windows);
        point.otherCpuPct = window().otherCpuPct;
        point.rssPerProxyMb = round((point.serverRssMb - group.idleRssMb) / n, 3);
        if (point.afterGc && group.idleAfterGc) {
          point.heapPerProxyMb = round((point.afterGc.heapUsedMb - group.idleAfterGc.heapUsedMb) / n, 3);
          point.rssAfterGcPerProxyMb = round((point.afterGc.rssMb - group.idleAfterGc.rssMb) / n, 3);
        }
        log(
          `    initial sync ${point.initialSyncMs} ms; server RSS ${point.serverRssMb} MB (idle ${group.idleRssMb} MB); others used ${point.otherCpuPct}% CPU` +
            (point.afterGc ? `, heap after GC ${point.afterGc.heapUsedMb} MB (idle ${group.idleAfterGc?.heapUsedMb} MB)` : ''),
        );
        group.points.push(point);
      }
    } catch (err) {
      log(`server log tail:\n${server.tail()}`);
      throw err;
    } finally {
      await server.stop();
      if (a['keep-logs']) {
        const logs = path.join(ROOT, 'bench/results/logs');
        fs.mkdirSync(logs, { recursive: true });
        fs.copyFileSync(logFile, path.join(logs, `xds-${label}-${protocol}.log`));
      }
    }
    if (profileDir) group.profile = summarizeWindows(profileDir, windows);
  }
  return groups;
}

function summarizeWindows(dir, windows) {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { error: 'no profile written' };
  const keep = path.join(ROOT, 'bench/results', `xds-${path.basename(dir)}.cpuprofile`);
  fs.mkdirSync(path.dirname(keep), { recursive: true });
  fs.copyFileSync(path.join(dir, file), keep);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const changes = windows.filter((w) => w.what.includes('change'));
  const sync = windows.filter((w) => w.what.includes('initial sync'));
  const out = { file: path.relative(ROOT, keep) };
  if (changes.length) {
    const s = summarizeProfile(profile, { fromUs: Math.min(...changes.map((w) => w.fromUs)), toUs: max(changes.map((w) => w.toUs)) });
    out.changes = profileText(s, 20);
  }
  if (sync.length) out.initialSync = profileText(summarizeProfile(profile, sync[0]), 15);
  return out;
}

// ---- report ------------------------------------------------------------------------------

const disturbed = (p) => (p.otherCpuPct ?? 0) > 15;

/** Header and rows of the results table (text and markdown share them). */
function tableCells(groups) {
  const head = ['folder', 'proto', 'proxies', 'init sync', 'write→serving', 'serving→last push', 'serving→last ACK', 'write→last ACK', 'client last ACK', 'B/proxy', 'RSS MB', 'heap MB', 'others CPU%'];
  const rows = [];
  for (const g of groups) {
    for (const p of g.points) {
      const m = p.median;
      rows.push([
        `${g.folder} (${g.clusters})${disturbed(p) ? ' †' : ''}`,
        g.protocol,
        String(p.proxies),
        `${p.initialSyncMs} ms`,
        `${m.writeToServingMs} ms`,
        `${m.servingToLastSendMs} ms`,
        `${m.servingToLastAckMs} ms`,
        `${m.writeToLastAckMs} ms` + (p.reps.length > 1 ? ` [${p.range.writeToLastAckMs.join('–')}]` : ''),
        `${m.writeToLastAckClientMs} ms`,
        String(m.bytesPerProxy),
        String(p.serverRssMb),
        String(p.afterGc?.heapUsedMb ?? '-'),
        String(p.otherCpuPct ?? '-'),
      ]);
    }
  }
  return { head, rows };
}

function table(groups) {
  const { head, rows } = tableCells(groups);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(groups) {
  const { head, rows } = tableCells(groups);
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ':--' : '--:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const busyNote = (p) => (disturbed(p) ? ` († others used ${p.otherCpuPct}% CPU)` : '');

function budgets(groups) {
  const large = groups.filter((g) => g.folder === 'large');
  const top = Math.max(...opts.proxies);
  const at = (protocol) => large.find((g) => g.protocol === protocol)?.points.find((p) => p.proxies === top);
  const out = [];
  for (const protocol of opts.protocols) {
    const p = at(protocol);
    if (!p) continue;
    const ms = p.median.writeToLastAckMs;
    out.push({
      budget: `one endpoint change → ${top} proxies all ACKed ≤ 1 s (${protocol}, ${large[0].clusters} clusters, from the file write)`,
      value: `${ms} ms (serving→last ACK ${p.median.servingToLastAckMs} ms)${busyNote(p)}`,
      met: top >= 1000 ? ms <= 1000 : null,
    });
  }
  const small = groups.filter((g) => g.folder === 'small');
  for (const g of small) {
    const p = g.points.find((q) => q.proxies === top);
    if (p) out.push({ budget: `same, ${g.protocol}, ${g.clusters} clusters`, value: `${p.median.writeToLastAckMs} ms${busyNote(p)}`, met: top >= 1000 ? p.median.writeToLastAckMs <= 1000 : null });
  }
  for (const g of large) {
    const p = at(g.protocol);
    if (!p) continue;
    out.push({
      budget: `≤ 1 MB server memory per connected proxy (${g.protocol}, ${g.clusters} clusters, ${top} proxies)`,
      value:
        `${p.rssPerProxyMb} MB/proxy (RSS ${g.idleRssMb} MB idle → ${p.serverRssMb} MB` +
        (p.heapPerProxyMb != null
          ? `; after a full GC: RSS ${p.rssAfterGcPerProxyMb} MB/proxy, JS heap ${p.heapPerProxyMb} MB/proxy)`
          : ')'),
      met: p.rssPerProxyMb <= 1,
    });
  }
  const d = large.find((g) => g.protocol === 'delta');
  const dp = at('delta');
  const sp = at('sotw');
  if (sp && dp) {
    const ratio = sp.median.bytesPerProxy / dp.median.bytesPerProxy;
    out.push({
      budget: `delta sends ≥ 10× fewer bytes than SotW for one endpoint change (${d.clusters} clusters)`,
      value: `SotW ${sp.median.bytesPerProxy} B/proxy vs delta ${dp.median.bytesPerProxy} B/proxy = ${round(ratio, 0)}×`,
      met: ratio >= 10,
      ratio: round(ratio, 1),
    });
  }
  return out;
}

/** The results as markdown, ready to paste into bench/README.md. */
function markdown(r) {
  const m = r.machine;
  const dagger = r.groups.some((g) => g.points.some(disturbed))
    ? '\n† other processes took more than 15% of a CPU during that point ("others CPU%"); treat it with care\n'
    : '';
  return [
    `skein ${r.skein.commit}${r.skein.srcFilesChanged ? ` + ${r.skein.srcFilesChanged} changed src files` : ''} (dist built ${r.skein.distBuilt}). ` +
      `Run ${r.date} on ${m.cpus} × ${m.model}, Node ${m.node}; load average ${m.loadavgAtStart.join(' ')} at start, ${m.loadavgAtEnd.join(' ')} at the end. ` +
      `\`${r.command}\`: median of ${r.options.reps} rep${r.options.reps === 1 ? '' : 's'} per point ([min–max] of write→last ACK).`,
    '',
    markdownTable(r.groups),
    dagger,
    '| DESIGN §6 budget | measured | |',
    '|:--|:--|:--|',
    ...r.budgets.map((v) => `| ${v.budget} | ${v.value} | ${v.met == null ? 'n/a' : v.met ? 'met' : '**MISSED**'} |`),
    '',
  ].join('\n');
}

async function main() {
  cleanupOnExit();
  if (!fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) {
    log('dist/ is missing: run `npm run build` first');
    process.exit(2);
  }
  const started = Date.now();
  const loadavgAtStart = os.loadavg().map((x) => round(x, 2));
  const tmp = makeTempDir();
  const skein = skeinRevision();
  snapshotSkein(path.join(tmp, 'skein-build'));
  log(`xds bench: skein ${skein.commit}, ${skein.srcFilesChanged} src files changed since, dist built ${skein.distBuilt} (run from a copy); load average ${loadavgAtStart.join(' ')}`);
  const groups = [];
  if (opts.smallClusters > 0) groups.push(...(await runFolder('small', opts.smallClusters, tmp)));
  groups.push(...(await runFolder('large', opts.clusters, tmp)));

  const verdicts = budgets(groups);
  const result = {
    date: new Date().toISOString(),
    command: `node bench/xds.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    options: opts,
    skein,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGb: round(os.totalmem() / 2 ** 30), node: process.version, loadavgAtStart, loadavgAtEnd: os.loadavg().map((x) => round(x, 2)) },
    durationS: round((Date.now() - started) / 1000, 0),
    method: {
      change: 'one ClusterLoadAssignment file rewritten in place (one endpoint port), the middle cluster of the folder',
      writeToServing: 'bench clock before the write → time field of the server log line "serving version V" (ms resolution)',
      servingToLastAck: 'that log time → the latest EDS ackedAt of V in /debug/syncz (server clock, ms resolution)',
      writeToLastAck: 'the write → the latest server-side ackedAt (the figure held against the 1 s budget)',
      clientLastAck: 'the write → the latest client-side "ACK written" time',
      bytesPerProxy: '/debug/metrics pushBytes (all types) after − before the change, divided by proxies',
      rss:
        `server VmRSS: idle = ${SETTLE_MS / 1000} s after start, after a forced full GC (inspector); loaded = ${SETTLE_MS / 1000} s after all N proxies synced, ` +
        'before a forced GC (so per-proxy RSS errs high); heap = heapUsed after a forced full GC',
    },
    groups,
    budgets: verdicts,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
  const mdFile = opts.out.replace(/\.json$/, '') + '.md';
  fs.writeFileSync(mdFile, markdown(result));

  console.log(
    '\nxDS control plane (median of %d rep%s; write→last ACK [min–max]; RSS with the proxies connected, heap used after a forced full GC)\n',
    opts.reps,
    opts.reps === 1 ? '' : 's',
  );
  for (const g of groups) {
    console.log(
      `  idle server, ${g.folder} folder (${g.clusters} clusters), ${g.protocol} run: RSS ${g.idleRssBeforeGcMb} MB, ` +
        `after a full GC ${g.idleRssMb} MB (heap ${g.idleAfterGc?.heapUsedMb ?? '-'} MB)`,
    );
  }
  console.log('');
  console.log(table(groups));
  console.log('\nDESIGN §6 budgets:');
  for (const v of verdicts) console.log(`  ${v.met == null ? 'n/a ' : v.met ? 'MET ' : 'MISS'}  ${v.budget}: ${v.value}`);
  for (const g of groups) {
    if (!g.profile) continue;
    console.log(`\nserver CPU profile, ${g.protocol}, ${g.clusters} clusters (${g.profile.file}):`);
    if (g.profile.initialSync) console.log(`\n-- initial sync --\n${g.profile.initialSync}`);
    if (g.profile.changes) console.log(`\n-- endpoint changes --\n${g.profile.changes}`);
  }
  console.log(`\nwrote ${path.relative(process.cwd(), opts.out)} and ${path.basename(mdFile)} (${result.durationS} s)`);
}

main()
  .then(() => cleanupAll())
  .catch(async (err) => {
    console.error(err.stack ?? String(err));
    await cleanupAll();
    process.exit(1);
  });
