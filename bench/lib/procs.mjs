// Process bookkeeping for the benchmark: every child is spawned here, in its own
// process group (detached), so one kill of the group also takes nginx's workers
// and anything a peer forks; and every group is killed when run.mjs exits for any
// reason (normal end, exception, Ctrl-C, SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';

const live = new Map(); // pid -> { name, child }

let haveTaskset;
/** Prefix a command with `taskset -c CPUS` when pinning is asked for and available. */
function pinned(cpus, cmd, args) {
  if (cpus == null) return [cmd, args];
  haveTaskset ??= spawnSync('taskset', ['-V']).status === 0;
  // taskset execs the command, so the pid we get is the real process's pid.
  return haveTaskset ? ['taskset', ['-c', String(cpus), cmd, ...args]] : [cmd, args];
}

/**
 * Start a long-running process. stdout/stderr go to logFile (kept for post-mortems
 * in bench/results/logs) so a noisy child cannot slow itself down on a pipe.
 */
export function startProcess(name, cmd, args, { cpus, env, cwd, logFile } = {}) {
  const [c, a] = pinned(cpus, cmd, args);
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(c, a, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') fs.closeSync(out);
  const entry = { name, child, exited: new Promise((resolve) => child.once('exit', (code, sig) => resolve(sig ?? code))) };
  live.set(child.pid, entry);
  entry.exited.then(() => live.delete(child.pid));
  child.once('error', (err) => console.error(`${name}: ${err.message}`));
  return { name, pid: child.pid, exited: entry.exited, stop: () => stopProcess(child.pid) };
}

/** Run a command to completion, capturing stdout (used for wrk and the rate client). */
export function runToEnd(cmd, args, { cpus, env } = {}) {
  const [c, a] = pinned(cpus, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.set(child.pid, { name: cmd, child, exited: new Promise((r) => child.once('exit', r)) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      live.delete(child.pid);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

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

/** SIGTERM the group, give it 5 s to exit cleanly (skein writes its CPU profile then), then SIGKILL. */
export async function stopProcess(pid) {
  const entry = live.get(pid);
  if (!entry) return;
  killGroup(pid, 'SIGTERM');
  const timer = new Promise((r) => setTimeout(r, 5000, 'timeout'));
  if ((await Promise.race([entry.exited, timer])) === 'timeout') killGroup(pid, 'SIGKILL');
  await entry.exited;
}

/** Stop everything still running, politely first (used on errors and signals). */
export async function stopAll() {
  await Promise.all([...live.keys()].map((pid) => stopProcess(pid).catch(() => undefined)));
}

export function killAllSync() {
  for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  live.clear();
}

let hooked = false;
/** Install exit/signal hooks once: nothing we started outlives run.mjs. */
export function cleanupOnExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping everything the benchmark started`);
      // SIGTERM first so nginx/haproxy masters reap their workers; SIGKILL after 3 s regardless.
      setTimeout(() => process.exit(130), 3000).unref();
      stopAll().finally(() => process.exit(130));
    });
  }
}

/** A port the kernel says is free right now (bound then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Status of one GET http://127.0.0.1:port/path on a fresh connection (0: no answer in 1 s). */
export function getStatus(port, path = '/') {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Poll until GET http://127.0.0.1:port/path answers 200, or the process dies, or 20 s pass. */
export async function waitHttpOk(proc, port, path = '/') {
  let dead = false;
  proc.exited.then(() => (dead = true));
  const deadline = Date.now() + 20_000;
  let last = 0;
  while (Date.now() < deadline && !dead) {
    last = await getStatus(port, path);
    if (last === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} did not answer 200 on :${port}${path} (${dead ? 'process exited' : `last status ${last}`})`);
}

/** VmRSS of a process plus all its descendants, in MB (nginx/haproxy masters + workers). */
export function treeRssMb(pid) {
  const pids = [pid, ...descendants(pid)];
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      /* exited meanwhile */
    }
  }
  return Math.round((kb / 1024) * 10) / 10;
}

function descendants(pid) {
  const out = [];
  let kids = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return out;
  }
  for (const k of kids) out.push(k, ...descendants(k));
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- CPU accounting: how much CPU did processes we did NOT start use? ----
// The box is shared (other people's builds and tests run on it), so each
// measurement reports the CPU that unrelated processes took during its window.
// busy(all CPUs, /proc/stat) - our CPU (this process, its reaped children, and the
// live process trees we started) = everyone else's, in % of one CPU.
const TICK = 100; // USER_HZ on Linux

function procCpu(pid, withChildren = false) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields 14-17 (utime stime cutime cstime) are at 11-14 after the comm field
    return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
  } catch {
    return 0;
  }
}

const treeCpu = (pid) => [pid, ...descendants(pid)].reduce((sum, p) => sum + procCpu(p), 0);

function snapshot(watch, also) {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]; // user nice system irq softirq steal
  let ours = procCpu(process.pid, true);
  for (const pid of live.keys()) ours += treeCpu(pid);
  for (const pid of also?.() ?? []) ours += treeCpu(pid);
  return { busy, ours, watched: watch == null ? 0 : treeCpu(watch), at: Date.now() };
}

/**
 * Start a window; its end() returns { otherCpuPct } for the time in between, and
 * with `watch` (a pid) also { cpuPct } of that process tree: a proxy near 100%
 * was the bottleneck, one well below it was waiting on the load side. `also`
 * returns more pids of ours that were not started here (bench/xds.mjs keeps its
 * own list of children).
 */
export function cpuWindow(watch, { also } = {}) {
  const a = snapshot(watch, also);
  return () => {
    const b = snapshot(watch, also);
    const seconds = (b.at - a.at) / 1000;
    const other = Math.max(0, b.busy - a.busy - (b.ours - a.ours)) / TICK;
    const out = { otherCpuPct: Math.round((100 * other) / seconds) };
    if (watch != null) out.cpuPct = Math.round((100 * (b.watched - a.watched)) / TICK / seconds);
    return out;
  };
}

/**
 * This machine is shared: wait (up to maxSeconds) until processes we did not
 * start use under `threshold`% of a CPU, so one measurement does not land on
 * someone's build. Returns the last reading (still above threshold: we gave up).
 */
export async function waitQuiet(maxSeconds, { also, threshold = 15 } = {}) {
  const deadline = Date.now() + maxSeconds * 1000;
  let others = 0;
  do {
    const window = cpuWindow(undefined, { also });
    await sleep(1000);
    others = window().otherCpuPct;
    if (others < threshold) return others;
  } while (Date.now() < deadline);
  return others;
}

// ---- Real-time priority for the constant-rate test ----
// Other work on the machine delays wake-ups by whole scheduler slices (ms), which
// swamps a proxy hop of ~100 µs in the p99. SCHED_FIFO makes our wake-ups preempt
// it. Only for the low-CPU constant-rate phase (at 1000 req/s nothing of ours is
// near 100% CPU, and the kernel's RT throttling keeps 5% for everyone else), never
// for wrk's saturating phase.
let canRt;
export function realtimeAvailable() {
  canRt ??= process.getuid?.() === 0 && spawnSync('chrt', ['-m']).status === 0;
  return canRt;
}

/**
 * Switch the main thread of each process in a tree to SCHED_FIFO prio 10, or back.
 * Main thread only: a FIFO thread is never time-sliced against its equals, so
 * making Node's GC/libuv helper threads FIFO on the same pinned CPU would let them
 * block the event loop for whole marking steps (we saw p99 in the ms that way).
 */
export function setRealtime(pid, on) {
  for (const p of [pid, ...descendants(pid)]) {
    spawnSync('chrt', on ? ['-f', '-p', '10', String(p)] : ['-o', '-p', '0', String(p)], { stdio: 'ignore' });
  }
}
