// Processes and files for bench/xds.mjs: the served folder (N EDS clusters, one
// ClusterLoadAssignment file each, a listener and its route), the real
// `skein xds serve` process (its log lines parsed as they come, its debug port
// queried), the client processes (xds_clients.mjs) and the cleanup of all of it.
import { fork, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'undici';
import { skeinHome } from './snapshot.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'xds_clients.mjs');

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CLOCK_MONOTONIC in µs: the clock V8 stamps --cpu-prof samples with. */
export const monoUs = () => Number(process.hrtime.bigint() / 1000n);

// ---- cleanup -------------------------------------------------------------------------

const children = new Set(); // ChildProcess, each the leader of its own process group
const tempDirs = new Set();
/** Pids of the processes started here: their CPU is ours, not "other processes'". */
export const childPids = () => [...children].map((c) => c.pid);

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

const exited = (child) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child, graceMs = 5000) {
  if (!children.has(child)) return;
  killGroup(child.pid, 'SIGTERM');
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(r, graceMs, 'timeout')));
  if ((await Promise.race([exited(child), timeout])) === 'timeout') killGroup(child.pid, 'SIGKILL');
  clearTimeout(timer);
  await exited(child);
  children.delete(child);
}

export async function cleanupAll() {
  await Promise.all([...children].map((c) => stopChild(c).catch(() => undefined)));
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

let hooked = false;
/** Kill everything on any exit: normal end, exception, Ctrl-C, SIGTERM. */
export function cleanupOnExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of children) killGroup(c.pid, 'SIGKILL');
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping every process the bench started`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

export function makeTempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-xds-bench-'));
  tempDirs.add(dir);
  return dir;
}

let haveTaskset;
/** Pins every thread of `pid` to `cpus` (e.g. "0"); a no-op without taskset. */
export function pin(pid, cpus) {
  if (cpus == null) return false;
  haveTaskset ??= spawnSync('taskset', ['-V']).status === 0;
  return haveTaskset && spawnSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' }).status === 0;
}

export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// ---- the served folder -----------------------------------------------------------------

export const clusterName = (i) => `outbound|80||svc-${i}.default.svc.cluster.local`;
const endpointFile = (dir, i) => path.join(dir, 'eds', `svc-${String(i).padStart(4, '0')}.yaml`);
const ip = (i) => `10.1.${(i >> 8) & 255}.${i & 255}`;

function endpointYaml(i, port) {
  return [
    '"@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    `cluster_name: "${clusterName(i)}"`,
    'endpoints:',
    '- lb_endpoints:',
    '  - endpoint:',
    '      address:',
    `        socket_address: { address: ${ip(i)}, port_value: ${port} }`,
    '',
  ].join('\n');
}

/**
 * `clusters` EDS clusters in clusters.yaml, one ClusterLoadAssignment per file in
 * eds/, and listener_0 (RDS local_route) with its route to the first cluster. Returns
 * a change(): rewrites the middle cluster's endpoints file with a new port.
 */
export function writeFolder(dir, clusters) {
  fs.mkdirSync(path.join(dir, 'eds'), { recursive: true });
  const docs = [];
  for (let i = 0; i < clusters; i++) {
    docs.push(
      [
        '"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster',
        `name: "${clusterName(i)}"`,
        'type: EDS',
        'connect_timeout: 1s',
        'eds_cluster_config:',
        '  eds_config:',
        '    ads: {}',
        '    resource_api_version: V3',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(endpointFile(dir, i), endpointYaml(i, 8080));
  }
  fs.writeFileSync(path.join(dir, 'clusters.yaml'), docs.join('---\n'));
  fs.writeFileSync(
    path.join(dir, 'listener.yaml'),
    [
      '"@type": type.googleapis.com/envoy.config.listener.v3.Listener',
      'name: listener_0',
      'address:',
      '  socket_address: { address: 0.0.0.0, port_value: 10000 }',
      'filter_chains:',
      '- filters:',
      '  - name: envoy.filters.network.http_connection_manager',
      '    typed_config:',
      '      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      '      stat_prefix: ingress_http',
      '      rds:',
      '        route_config_name: local_route',
      '        config_source:',
      '          ads: {}',
      '          resource_api_version: V3',
      '      http_filters:',
      '      - name: envoy.filters.http.router',
      '        typed_config:',
      '          "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'route.yaml'),
    [
      '"@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      'name: local_route',
      'virtual_hosts:',
      '- name: all',
      '  domains: ["*"]',
      '  routes:',
      '  - match: { prefix: "/" }',
      `    route: { cluster: "${clusterName(0)}" }`,
      '',
    ].join('\n'),
  );
  const target = Math.floor(clusters / 2);
  let port = 20000;
  return {
    changedCluster: clusterName(target),
    /** Rewrites one endpoints file in place (one endpoint's port); returns the time just before the write. */
    change() {
      const text = endpointYaml(target, ++port);
      const at = now();
      fs.writeFileSync(endpointFile(dir, target), text);
      return at;
    },
  };
}

// ---- the server ----------------------------------------------------------------------------

/**
 * Starts `skein xds serve` on free ports with JSON logs and waits for its first
 * snapshot. `profileDir` runs it under --cpu-prof (written when it stops).
 */
export async function startServer(dir, { cpus, profileDir, logFile } = {}) {
  // --inspect: only so memory() can force a full GC and read the heap (an idle
  // inspector costs nothing measurable; a session is attached only for that).
  const nodeArgs = ['--inspect=127.0.0.1:0', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const args = [...nodeArgs, path.join(skeinHome(), 'bin/skein'), 'xds', 'serve', '--dir', dir, '--port', '0', '--status-port', '0', '--log-format', 'json'];
  // Logs go to a file, not a pipe: a pipe write blocks the server whenever this
  // process (sharing two cores with it and the clients) is slow to read, and 1,000
  // "connected" lines would then cost the server more than the connections do. The
  // file is followed by polling; the log's own time stamps are what gets measured.
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  children.add(child);
  const serving = []; // {version, time}
  const waiters = new Set();
  const ports = {};
  let inspector;
  const tail = [];
  const onLine = (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    let m = /^xds server listening on .*:(\d+) /.exec(line);
    if (m) ports.xds = Number(m[1]);
    m = /^xds status listening on http:\/\/(.*):(\d+)\//.exec(line);
    if (m) ports.status = Number(m[2]);
    m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (m) inspector = m[1];
    if (line.startsWith('{')) {
      try {
        const rec = JSON.parse(line);
        const v = /^serving version (\S+) /.exec(rec.msg ?? '');
        if (v) serving.push({ version: v[1], time: Date.parse(rec.time) });
      } catch {
        /* not a log record */
      }
    }
    for (const w of waiters) w();
  };
  const follower = followFile(logFile, onLine);
  const gone = exited(child).then(() => follower.stop());
  let stopping = false;
  // Rejects if the server exits before stop(): raced against every wait on it.
  const died = gone.then(() => {
    if (!stopping) throw new Error(`xds server exited (${child.signalCode ?? child.exitCode}); last lines:\n${tail.join('\n')}`);
  });
  died.catch(() => undefined);

  /** Resolves with the first value of `probe()` that is not undefined (checked on every log line). */
  const waitFor = (probe, timeoutMs, what) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`xds server: no ${what} within ${timeoutMs} ms; last lines:\n${tail.join('\n')}`));
      }, timeoutMs);
      const died = () => {
        done();
        reject(new Error(`xds server exited before ${what}; last lines:\n${tail.join('\n')}`));
      };
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', died);
      };
      waiters.add(check);
      child.once('exit', died);
      check();
    });

  await waitFor(() => (ports.xds && ports.status && serving.length ? true : undefined), 60_000, 'listening ports and first version');
  pin(child.pid, cpus);
  const base = `http://127.0.0.1:${ports.status}`;
  const get = async (p) => {
    const res = await fetch(base + p);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res.json();
  };
  return {
    pid: child.pid,
    port: ports.xds,
    serving,
    /** The first "serving version" logged after `sinceMs` (epoch ms; the log has ms resolution). */
    nextVersion: (sinceMs, timeoutMs = 15_000) =>
      waitFor(() => serving.find((s) => s.time >= Math.floor(sinceMs)), timeoutMs, 'new serving version'),
    syncz: () => get('/debug/syncz'),
    metrics: () => get('/debug/metrics'),
    rssMb: () => rssMb(child.pid),
    /** Forces a full GC in the server (inspector) and returns process.memoryUsage() in MB, or undefined. */
    memory: () => (inspector ? memoryAfterGc(inspector).catch(() => undefined) : Promise.resolve(undefined)),
    tail: () => tail.join('\n'),
    /** Resolves with `promise`, or rejects as soon as the server exits unexpectedly. */
    guard: (promise) => Promise.race([promise, died.then(() => new Promise(() => {}))]),
    async stop() {
      stopping = true;
      await stopChild(child, 10_000);
      await gone;
    },
  };
}

async function memoryAfterGc(url) {
  const ws = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('inspector connection failed'));
    });
    const pending = new Map();
    let id = 0;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      pending.get(m.id)?.(m);
    };
    const call = (method, params) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const r = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' });
    const m = JSON.parse(r.result.result.value);
    const mb = (x) => Math.round((x / 2 ** 20) * 10) / 10;
    return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external) };
  } finally {
    ws.close();
  }
}

/** Calls onLine for every complete line appended to `file`, polling every 10 ms. */
function followFile(file, onLine) {
  const fd = fs.openSync(file, 'r');
  let offset = 0;
  let partial = '';
  const buf = Buffer.alloc(1 << 20);
  const poll = () => {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) return;
      offset += n;
      const lines = (partial + buf.toString('utf8', 0, n)).split('\n');
      partial = lines.pop();
      for (const line of lines) onLine(line);
    }
  };
  const timer = setInterval(poll, 10);
  return {
    stop() {
      clearInterval(timer);
      poll();
      fs.closeSync(fd);
    },
  };
}

// ---- client processes ------------------------------------------------------------------------

/** Forks a client process (xds_clients.mjs) and returns an RPC handle to it. */
export const startClientProcess = ({ cpus } = {}) => forkWorker(CLIENTS, { cpus });

/**
 * Forks `script` (which answers {id, op, ...} messages with {id, result|error} and
 * says {ready: true} first) in its own process group; returns an RPC handle. With
 * `logFile` its stdout/stderr go there (a file, not a pipe: see startServer).
 */
export async function forkWorker(script, { cpus, execArgv = [], logFile } = {}) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'inherit';
  const child = fork(script, [], { stdio: ['ignore', out, out, 'ipc'], detached: true, execArgv });
  if (typeof out === 'number') fs.closeSync(out);
  children.add(child);
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code, sig) => {
      const err = new Error(`${path.basename(script)} exited (${sig ?? code})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    child.on('message', (msg) => {
      if (msg.ready) return resolve();
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
  });
  await ready;
  pin(child.pid, cpus);
  return {
    pid: child.pid,
    rssMb: () => rssMb(child.pid),
    call: (op, args = {}) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        child.send({ id, op, ...args });
      }),
    async stop() {
      child.disconnect?.();
      await stopChild(child, 5000);
    },
  };
}
