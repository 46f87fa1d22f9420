// How to start each process under test. Every start() gets a free port, the
// upstream's port, a scratch dir and the CPUs to pin to, and returns the process
// handle from procs.mjs once it answers 200 through to the upstream.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haproxyConf, nginxProxyConf, nginxUpstreamConf, skeinBootstrap } from './configs.mjs';
import { startProcess, waitHttpOk } from './procs.mjs';

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH, '..');
const node = process.execPath;

let skeinHome = ROOT;
/**
 * Run skein from a copy of bin/, dist/, src/ (data files read at run time) and
 * package.json taken now, with node_modules linked: others rebuild dist/ while
 * the benchmark runs, and one run must measure one build.
 */
export function snapshotSkein(dir) {
  for (const part of ['bin', 'dist', 'src', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  skeinHome = dir;
}

function nginx(name, conf, { dir, cpus, log }) {
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  // -e: the startup error log too, so a non-root run never touches /var/log/nginx.
  return startProcess(name, 'nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], {
    cpus,
    logFile: log,
  });
}

const nodePeer = (script) => ({ port, upstreamPort, cpus, log }) =>
  startProcess(script, node, [path.join(BENCH, 'peers', script), String(port), `http://127.0.0.1:${upstreamPort}`], { cpus, logFile: log });

/** Start skein; `extraClusters` for the memory budget, `cpuProf` (a dir) for profiling. */
export function startSkein({ port, upstreamPort, dir, cpus, log, extraClusters = 0, cpuProf }) {
  const file = path.join(dir, 'skein.yaml');
  fs.writeFileSync(file, skeinBootstrap({ port, upstreamPort, extraClusters }));
  const flags = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  return startProcess(
    'skein',
    node,
    [...flags, path.join(skeinHome, 'bin', 'skein'), 'proxy', '-c', file, '--concurrency', '1', '--drain-strategy', 'immediate', '--drain-time-s', '0'],
    { cpus, logFile: log },
  );
}

export const UPSTREAMS = {
  nginx: (o) => nginx('upstream-nginx', nginxUpstreamConf(o), o),
  node: (o) => startProcess('upstream-node', node, [path.join(BENCH, 'peers', 'upstream-node.mjs'), String(o.port)], { cpus: o.cpus, logFile: o.log }),
};

/** The proxies, in report order. `node: true` marks the Node.js peers DESIGN §6 names. */
export const PROXIES = [
  { name: 'skein', start: startSkein },
  { name: 'nginx', start: (o) => nginx('nginx', nginxProxyConf(o), o) },
  {
    name: 'haproxy',
    start: (o) => {
      const cfg = path.join(o.dir, 'haproxy.cfg');
      fs.writeFileSync(cfg, haproxyConf(o));
      return startProcess('haproxy', 'haproxy', ['-db', '-f', cfg], { cpus: o.cpus, logFile: o.log });
    },
  },
  { name: 'node-http-proxy', node: true, start: nodePeer('http-proxy.mjs') },
  { name: 'fast-proxy', node: true, start: nodePeer('fast-proxy.mjs') },
  { name: '@fastify/http-proxy', node: true, start: nodePeer('fastify-http-proxy.mjs') },
  { name: 'undici-forwarder', node: true, start: nodePeer('undici-forwarder.mjs') },
];

/** Start, then wait until a request goes through to the upstream. */
export async function startReady(start, opts) {
  const proc = start(opts);
  await waitHttpOk(proc, opts.port, opts.probePath ?? '/');
  return proc;
}
