// A throwaway self-signed certificate for the TLS rows, made with openssl at start
// so the benchmark needs no checked-in keys. ECDSA P-256: both proxies sign with it
// only during the handshakes (keep-alive connections, so a few per run); the bulk
// cost is the record cipher, which both negotiate to TLS 1.3 AES-128-GCM.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export function makeCert(dir) {
  const certFile = path.join(dir, 'bench-cert.pem');
  const keyFile = path.join(dir, 'bench-key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=bench.skein.local', '-addext', 'subjectAltName=DNS:bench.skein.local,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { certFile, keyFile };
}
