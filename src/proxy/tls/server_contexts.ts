// Server-side SecureContexts for one DownstreamTlsContext. Envoy picks among several
// tls_certificates by SNI (DNS SANs, else CN; exact before wildcard) and by what
// the client can verify (key type); node leaves the second choice to OpenSSL when
// one SecureContext holds one certificate per key type. So each SNI answer is the
// matching certificates, one per key type, built once and cached until the
// material changes.
import type { X509Certificate } from 'node:crypto';
import crypto from 'node:crypto';
import tls from 'node:tls';
import { ConfigError } from '../../api/json/issues.js';
import { CertValidator } from './cert_validator.js';
import { dnsNameMatch, serverNames } from './cert_info.js';
import type { ProtocolOptions } from './tls_params.js';
import type { CertificateMaterial, TlsMaterial } from './tls_material.js';

export interface ServerContextOptions {
  protocol: ProtocolOptions;
  sessionTimeoutSeconds?: number;
  ticketKeys: Buffer;
  disableTickets: boolean;
}

/** One generation of built contexts; replaced whole when the material changes. */
export class ServerContextSet {
  readonly validator?: CertValidator;
  private readonly cache = new Map<string, tls.SecureContext>();
  private readonly names: string[][];
  private readonly keyTypes: string[];
  readonly defaultContext: tls.SecureContext;
  private readonly sessionIdContext: string;

  constructor(
    private readonly material: TlsMaterial,
    private readonly options: ServerContextOptions,
    path: string,
  ) {
    const certs = material.certificates;
    if (!certs.length) throw ConfigError.single(path, 'No TLS certificates found for server context');
    this.names = certs.map((c) => (c.chain[0] ? serverNames(c.chain[0]) : []));
    this.keyTypes = certs.map((c) => keyTypeOf(c.chain[0]));
    const v = material.validation;
    this.validator = v ? new CertValidator(v.config, `${path}.validation_context`, v.caPem !== undefined) : undefined;
    this.sessionIdContext = sessionIdContextOf(material);
    this.defaultContext = this.contextFor(this.onePerKeyType(certs.map((_, i) => i)));
  }

  /** The context for a ClientHello's server name. */
  select(servername: string | undefined): tls.SecureContext {
    if (!servername || this.material.certificates.length === 1) return this.defaultContext;
    const exact: number[] = [];
    const wildcard: number[] = [];
    this.names.forEach((names, i) => {
      if (names.some((n) => n.toLowerCase() === servername.toLowerCase())) exact.push(i);
      else if (names.some((n) => n.startsWith('*.') && dnsNameMatch(servername, n))) wildcard.push(i);
    });
    const matched = [...exact, ...wildcard];
    return matched.length ? this.contextFor(this.onePerKeyType(matched)) : this.defaultContext;
  }

  /** First certificate of each key type, in order (the first one's type first). */
  private onePerKeyType(indices: number[]): number[] {
    const seen = new Set<string>();
    return indices.filter((i) => {
      const t = this.keyTypes[i]!;
      if (seen.has(t)) return false;
      seen.add(t);
      return true;
    });
  }

  private contextFor(indices: number[]): tls.SecureContext {
    const key = indices.join(',');
    let ctx = this.cache.get(key);
    if (!ctx) this.cache.set(key, (ctx = this.build(indices.map((i) => this.material.certificates[i]!))));
    return ctx;
  }

  private build(certs: CertificateMaterial[]): tls.SecureContext {
    const v = this.material.validation;
    const p = this.options.protocol;
    const pem = certs.filter((c) => !c.secure.pfx);
    const pfx = certs.filter((c) => c.secure.pfx);
    return tls.createSecureContext({
      cert: pem.length ? pem.map((c) => c.secure.cert as string) : undefined,
      key: pem.length ? pem.map((c) => ({ pem: c.secure.key as string, passphrase: c.secure.passphrase })) : undefined,
      pfx: pfx.length ? pfx.map((c) => ({ buf: c.secure.pfx as Buffer, passphrase: c.secure.passphrase })) : undefined,
      ca: v?.caPem,
      crl: v?.crlPem,
      minVersion: p.minVersion,
      maxVersion: p.maxVersion,
      ciphers: p.ciphers,
      ecdhCurve: p.ecdhCurve,
      sigalgs: p.sigalgs,
      honorCipherOrder: true,
      sessionTimeout: this.options.sessionTimeoutSeconds,
      ticketKeys: this.options.ticketKeys,
      sessionIdContext: this.sessionIdContext,
      secureOptions: this.options.disableTickets ? crypto.constants.SSL_OP_NO_TICKET : 0,
    });
  }
}

/**
 * OpenSSL refuses to resume sessions on a server that asks for client certificates
 * unless a session id context is set. Like Envoy's, it is derived from what a session
 * vouches for (certificates and trust settings), so a session survives a process
 * restart or another worker with the same config, but not a change of trust.
 */
function sessionIdContextOf(material: TlsMaterial): string {
  const h = crypto.createHash('sha256');
  for (const c of material.certificates) for (const x of c.chain) h.update(x.fingerprint256);
  const v = material.validation;
  if (v) h.update(v.caPem ?? '').update(v.crlPem?.join('') ?? '').update(JSON.stringify(v.config));
  return h.digest('hex').slice(0, 32);
}

function keyTypeOf(cert: X509Certificate | undefined): string {
  return cert?.publicKey.asymmetricKeyType ?? 'unknown';
}
