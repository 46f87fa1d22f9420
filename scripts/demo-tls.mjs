#!/usr/bin/env node
// Seed 003's ingress-gateway TLS scenarios as plain Envoy configs (examples/tls).
// Starts the backends (catalog :3000, webapp :8082, tcp-echo :2701, two TLS echo
// backends :9443/:9444), generates the test PKI if missing, then
// `skein proxy -c examples/tls/<config>`. Ctrl-C stops everything.
// Usage: npm run demo:tls -- [simple-tls|mutual-tls|multi-tls|tcp-echo|sni-passthrough]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skein = path.join(root, 'bin', 'skein');
const name = process.argv[2] ?? 'simple-tls';
const config = path.join('examples', 'tls', `${name}.yaml`);
if (!fs.existsSync(path.join(root, config))) {
  console.error(`no such example: ${config}`);
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'examples/tls/certs/2_intermediate/certs/ca-chain.cert.pem'))) {
  spawnSync(path.join(root, 'examples/tls/gen-certs.sh'), { stdio: 'inherit' });
}
const b = 'examples/tls/backends';
const services = [
  ['catalog', '--port', '3000', '--host', '127.0.0.1'],
  ['webapp', '--port', '8082', '--host', '127.0.0.1', '--catalog-url', 'http://127.0.0.1:3000'],
  ['tcp-echo', '--port', '2701', '--host', '127.0.0.1', '--prefix', 'hello'],
  ['echo', '--port', '9443', '--host', '127.0.0.1', '--pod', 'simple-tls-service-1', '--tls-cert', `${b}/certs/simple-tls-service-1.istioinaction.io.cert.pem`, '--tls-key', `${b}/private/simple-tls-service-1.istioinaction.io.key.pem`],
  ['echo', '--port', '9444', '--host', '127.0.0.1', '--pod', 'simple-tls-service-2', '--tls-cert', `${b}/certs/simple-tls-service-2.istioinaction.io.cert.pem`, '--tls-key', `${b}/private/simple-tls-service-2.istioinaction.io.key.pem`],
  ['proxy', '-c', config],
];
const children = services.map((args) => spawn(process.execPath, [skein, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }));
const stop = () => {
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const ca = 'examples/tls/certs/2_intermediate/certs/ca-chain.cert.pem';
const tries = {
  'simple-tls': [`curl --cacert ${ca} --resolve webapp.istioinaction.io:8443:127.0.0.1 https://webapp.istioinaction.io:8443/api/catalog`, 'curl -i -H "Host: webapp.istioinaction.io" http://localhost:8080/api/catalog   # 301 to https'],
  'mutual-tls': [`curl --cacert ${ca} --resolve webapp.istioinaction.io:8443:127.0.0.1 https://webapp.istioinaction.io:8443/api/catalog   # fails: no client certificate`, `curl --cacert ${ca} --cert examples/tls/certs/4_client/certs/webapp.istioinaction.io.cert.pem --key examples/tls/certs/4_client/private/webapp.istioinaction.io.key.pem --resolve webapp.istioinaction.io:8443:127.0.0.1 https://webapp.istioinaction.io:8443/api/catalog`],
  'multi-tls': [`curl --cacert ${ca} --resolve webapp.istioinaction.io:8443:127.0.0.1 https://webapp.istioinaction.io:8443/api/catalog`, `curl --cacert examples/tls/certs2/2_intermediate/certs/ca-chain.cert.pem --resolve catalog.istioinaction.io:8443:127.0.0.1 https://catalog.istioinaction.io:8443/items`, 'openssl s_client -connect 127.0.0.1:8443 -servername catalog.istioinaction.io </dev/null | grep subject='],
  'tcp-echo': ['nc localhost 31400   # type a line, get "hello <line>" back'],
  'sni-passthrough': [`curl --cacert ${ca} --resolve simple-tls-service-1.istioinaction.io:31400:127.0.0.1 https://simple-tls-service-1.istioinaction.io:31400/`, `curl --cacert ${ca} --resolve simple-tls-service-2.istioinaction.io:31400:127.0.0.1 https://simple-tls-service-2.istioinaction.io:31400/`],
};
setTimeout(() => console.log(`\nRunning ${config}. Try:\n  ${(tries[name] ?? []).join('\n  ')}\n  curl http://localhost:15000/certs\nCtrl-C stops everything.\n`), 1500);
