#!/usr/bin/env node
// The README's "main job": seed 003's chapter 3 lab on this machine. Starts the
// built-in httpbin on :8000 and `skein proxy -c examples/envoy-ch3/simple.yaml`
// (listener :15001, admin :15000), then waits; Ctrl-C stops both.
// Options: --config simple_change_timeout.yaml | simple_retry.yaml
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skein = path.join(root, 'bin', 'skein');
const configArg = process.argv.indexOf('--config');
const config = path.join(root, 'examples', 'envoy-ch3', configArg > 0 ? process.argv[configArg + 1] : 'simple.yaml');

const children = [];
function start(args, name) {
  const child = spawn(process.execPath, [skein, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the demo`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

start(['httpbin', '--port', '8000', '--host', '127.0.0.1'], 'httpbin');
await waitFor('http://127.0.0.1:8000/get');
start(['proxy', '-c', config], 'skein proxy');
await waitFor('http://127.0.0.1:15000/ready');

console.log(`
skein is running the chapter 3 lab with ${path.relative(root, config)}:
  httpbin        http://127.0.0.1:8000
  proxy          http://127.0.0.1:15001   (routes everything to httpbin)
  admin          http://127.0.0.1:15000

Try, as the book does:
  curl http://localhost:15001/headers                  # X-Envoy-Expected-Rq-Timeout-Ms, X-Forwarded-Proto, X-Request-Id added
  curl http://localhost:15001/delay/2                  # with --config simple_change_timeout.yaml: 504 upstream request timeout
  curl http://localhost:15001/status/500               # with --config simple_retry.yaml, then:
  curl -s http://localhost:15000/stats | grep retry    #   cluster.httpbin_service.upstream_rq_retry: 3
  curl -X POST 'http://localhost:15000/logging?http=debug'
  curl http://localhost:15000/clusters
  curl http://localhost:15000/config_dump
  curl http://localhost:15000/stats/prometheus

Ctrl-C stops everything.
`);
