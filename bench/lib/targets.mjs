// How to start each process under test. Every start() gets a free port, the
// upstream's port, a scratch dir and the CPUs to pin to, and returns the process
// handle from procs.mjs once it answers 200 through to the upstream.
import fs from 'node:fs';
import path from 'node:path';
import { haproxyConf, nginxProxyConf, nginxUpstreamConf, skeinBootstrap } from './configs.mjs';
import { startProcess, waitHttpOk } from './procs.mjs';
import { ROOT, skeinHome } from './snapshot.mjs';

export { ROOT, snapshotSkein } from './snapshot.mjs';

const BENCH = path.join(ROOT, 'bench');
const node = process.execPath;

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

/**
 * Start skein; `extraClusters` for the memory budget, `cpuProf` (a dir) for
 * profiling, `h2cPort`/`tlsPort`/`cert` for the HTTP/2 and TLS test.
 */
export function startSkein({ port, upstreamPort, dir, cpus, log, extraClusters = 0, cpuProf, h2cPort, tlsPort, cert }) {
  const file = path.join(dir, 'skein.yaml');
  fs.writeFileSync(file, skeinBootstrap({ port, upstreamPort, extraClusters, h2cPort, tlsPort, cert }));
  const flags = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  return startProcess(
    'skein',
    node,
    [...flags, path.join(skeinHome(), 'bin', 'skein'), 'proxy', '-c', file, '--concurrency', '1', '--drain-strategy', 'immediate', '--drain-time-s', '0'],
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
