// A throwaway PKI for TLS tests, made with the `openssl` CLI in a temp directory:
//   root CA → intermediate CA → server leaves (webapp / catalog .istioinaction.io)
//   root CA → intermediate CA → client leaf with a SPIFFE URI SAN
//   an unrelated CA with its own client leaf (for "wrong CA" cases).
// Leaf `chain` files hold leaf + intermediate, as a server or client presents them.
// `issue()` makes more leaves (other SANs, RSA keys, a given serial) on demand.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CaFiles {
  cert: string;
  key: string;
}

export interface LeafFiles {
  /** The leaf certificate alone. */
  cert: string;
  key: string;
  /** Leaf followed by its intermediate(s): what a TLS peer presents. */
  chain: string;
  /** Serial in lower-case hex without colons (as Envoy's /certs prints it). */
  serial: string;
}

export interface LeafOptions {
  dns?: string[];
  uris?: string[];
  ips?: string[];
  emails?: string[];
  /** Which CA signs it (default the intermediate). */
  issuer?: 'root' | 'intermediate' | 'other' | CaFiles;
  keyType?: 'ec' | 'rsa';
  days?: number;
  /** Hex serial; random when absent. */
  serial?: string;
  /** Client certificate (clientAuth EKU) instead of a server one. */
  client?: boolean;
  commonName?: string;
}

export interface Pki {
  dir: string;
  root: CaFiles;
  intermediate: CaFiles;
  /** Unrelated CA: its certificates must not be trusted by `root`. */
  other: CaFiles;
  webapp: LeafFiles;
  catalog: LeafFiles;
  /** Client leaf with URI SAN spiffe://cluster.local/ns/istioinaction/sa/webapp. */
  client: LeafFiles;
  /** Client leaf from the unrelated CA, same SPIFFE ID. */
  otherClient: LeafFiles;
  issue(name: string, options: LeafOptions): LeafFiles;
  /**
   * A PEM file of CRLs from the root and the intermediate (OpenSSL checks every level
   * of the chain), revoking `revoked` (leaves the intermediate issued).
   */
  crl(revoked: LeafFiles[]): string;
  read(file: string): string;
  cleanup(): void;
}

export const WEBAPP_SPIFFE = 'spiffe://cluster.local/ns/istioinaction/sa/webapp';

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function keyArgs(keyType: 'ec' | 'rsa'): string[] {
  return keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
}

function makeCa(dir: string, name: string, subject: string, issuer?: CaFiles): CaFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  if (!issuer) {
    openssl(['req', '-x509', ...keyArgs('ec'), '-nodes', '-keyout', key, '-out', cert, '-subj', subject, '-days', '3650',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return { cert, key };
  }
  const csr = path.join(dir, `${name}.csr`);
  openssl(['req', '-new', ...keyArgs('ec'), '-nodes', '-keyout', key, '-out', csr, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', `0x${randomSerial()}`,
    '-days', '3650', '-extfile', ext, '-out', cert], dir);
  return { cert, key };
}

function randomSerial(): string {
  // 16 hex digits, first byte 0x10..0x7f: positive in DER and no leading zero to strip.
  const bytes = randomBytes(8);
  bytes[0] = 0x10 + (bytes[0]! % 0x70);
  return bytes.toString('hex');
}

export function createPki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-pki-'));
  const root = makeCa(dir, 'root-ca', '/O=skein test/CN=Root CA');
  const intermediate = makeCa(dir, 'intermediate-ca', '/O=skein test/CN=Intermediate CA', root);
  const other = makeCa(dir, 'other-ca', '/O=elsewhere/CN=Other CA');
  const cas = { root, intermediate, other };

  const issue = (name: string, o: LeafOptions): LeafFiles => {
    const ca = typeof o.issuer === 'object' ? o.issuer : cas[o.issuer ?? 'intermediate'];
    const key = path.join(dir, `${name}.key`);
    const csr = path.join(dir, `${name}.csr`);
    const cert = path.join(dir, `${name}.crt`);
    const chain = path.join(dir, `${name}-chain.pem`);
    const ext = path.join(dir, `${name}.ext`);
    const sans = [
      ...(o.dns ?? []).map((v) => `DNS:${v}`),
      ...(o.uris ?? []).map((v) => `URI:${v}`),
      ...(o.ips ?? []).map((v) => `IP:${v}`),
      ...(o.emails ?? []).map((v) => `email:${v}`),
    ];
    const lines = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${o.client ? 'clientAuth' : 'serverAuth,clientAuth'}`,
      ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    fs.writeFileSync(ext, lines.join('\n') + '\n');
    const serial = (o.serial ?? randomSerial()).toLowerCase().replace(/^0+/, '');
    const cn = o.commonName ?? o.dns?.[0] ?? name;
    openssl(['req', '-new', ...keyArgs(o.keyType ?? 'ec'), '-nodes', '-keyout', key, '-out', csr, '-subj', `/O=skein test/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${serial}`, '-days', String(o.days ?? 365),
      '-extfile', ext, '-out', cert], dir);
    const issuerChain = ca === intermediate ? fs.readFileSync(intermediate.cert, 'utf8') : '';
    fs.writeFileSync(chain, fs.readFileSync(cert, 'utf8') + issuerChain);
    return { cert, key, chain, serial };
  };

  let crls = 0;
  const crl = (revoked: LeafFiles[]): string => {
    const work = path.join(dir, `crl-${crls++}`);
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n');
    const out: string[] = [];
    for (const [ca, list] of [[root, []], [intermediate, revoked]] as const) {
      fs.writeFileSync(path.join(work, 'index.txt'), '');
      const common = ['-config', 'ca.cnf', '-keyfile', ca.key, '-cert', ca.cert];
      for (const leaf of list) openssl(['ca', ...common, '-revoke', leaf.cert], work);
      openssl(['ca', ...common, '-gencrl', '-out', 'out.crl'], work);
      out.push(fs.readFileSync(path.join(work, 'out.crl'), 'utf8'));
    }
    const file = path.join(work, 'crl.pem');
    fs.writeFileSync(file, out.join(''));
    return file;
  };

  return {
    dir,
    root,
    intermediate,
    other,
    webapp: issue('webapp', { dns: ['webapp.istioinaction.io'] }),
    catalog: issue('catalog', { dns: ['catalog.istioinaction.io'] }),
    client: issue('client', { uris: [WEBAPP_SPIFFE], client: true }),
    otherClient: issue('other-client', { uris: [WEBAPP_SPIFFE], client: true, issuer: 'other' }),
    issue,
    crl,
    read: (file) => fs.readFileSync(file, 'utf8'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
