// Peer certificate checks beyond the CA chain, in Envoy's order and with its
// counters: chain (fail_verify_error) → SAN matchers (fail_verify_san) → pins
// (fail_verify_cert_hash: passes when either the hash or the SPKI list matches).
// OpenSSL verifies the chain during the handshake; node reports the result, and
// this module decides what it means for the connection.
import type { X509Certificate } from 'node:crypto';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { compileStringMatcher, type StringPredicate } from '../common/matchers.js';
import { certSha256, dnsNameMatch, spkiSha256, subjectAltNames, type SubjectAltNames } from './cert_info.js';

type ValidationContext = envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
type SanType = envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType;

export type VerifyFailure = 'fail_verify_error' | 'fail_verify_san' | 'fail_verify_cert_hash' | 'fail_verify_no_cert';

export interface VerifyResult {
  /** The ssl.* counter to bump, when a check failed. */
  failure?: VerifyFailure;
  /** Whether to continue with the connection (ACCEPT_UNTRUSTED lets chain failures through). */
  accept: boolean;
  reason?: string;
}

interface SanMatcher {
  /** undefined: any SAN type (the deprecated match_subject_alt_names). */
  type?: Exclude<SanType, 'SAN_TYPE_UNSPECIFIED' | 'OTHER_NAME'>;
  match: StringPredicate;
  /** DNS names with an exact matcher follow DNS wildcard rules (as in Envoy). */
  exactDns?: string;
}

const EXPIRY_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const SAN_KEYS: Record<NonNullable<SanMatcher['type']>, keyof SubjectAltNames> = { DNS: 'dns', URI: 'uri', IP_ADDRESS: 'ip', EMAIL: 'email' };

function compileSanMatchers(vc: ValidationContext, path: string): SanMatcher[] {
  const typed = (vc.match_typed_subject_alt_names ?? []).map((m, i): SanMatcher => {
    const at = `${path}.match_typed_subject_alt_names[${i}]`;
    const type = m.san_type;
    if (!type || type === 'SAN_TYPE_UNSPECIFIED') throw ConfigError.single(`${at}.san_type`, 'san_type must be one of DNS, URI, EMAIL, IP_ADDRESS', spanOf(m));
    if (type === 'OTHER_NAME') throw ConfigError.single(`${at}.san_type`, 'OTHER_NAME SANs are not supported by skein (node does not expose their values)', spanOf(m));
    if (!m.matcher) throw ConfigError.single(`${at}.matcher`, 'a SAN matcher needs a matcher', spanOf(m));
    const match = compileStringMatcher(m.matcher, `${at}.matcher`);
    return { type, match, exactDns: type === 'DNS' && m.matcher.exact !== undefined ? m.matcher.exact : undefined };
  });
  const untyped = (vc.match_subject_alt_names ?? []).map((m, i): SanMatcher => ({
    match: compileStringMatcher(m, `${path}.match_subject_alt_names[${i}]`),
    exactDns: m.exact,
  }));
  return [...typed, ...untyped];
}

function decodePins(vc: ValidationContext, path: string): { hashes: Set<string>; spkis: Set<string> } {
  const hashes = new Set<string>();
  (vc.verify_certificate_hash ?? []).forEach((h, i) => {
    const hex = h.replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw ConfigError.single(`${path}.verify_certificate_hash[${i}]`, `Invalid hex-encoded SHA-256 ${h}`, spanOf(vc));
    hashes.add(hex);
  });
  const spkis = new Set<string>();
  (vc.verify_certificate_spki ?? []).forEach((s, i) => {
    const bytes = Buffer.from(s, 'base64');
    if (bytes.length !== 32 || bytes.toString('base64') !== s) {
      throw ConfigError.single(`${path}.verify_certificate_spki[${i}]`, `Invalid base64-encoded SHA-256 ${s}`, spanOf(vc));
    }
    spkis.add(s);
  });
  return { hashes, spkis };
}

export class CertValidator {
  readonly hasTrustedCa: boolean;
  private readonly sans: SanMatcher[];
  private readonly hashes: Set<string>;
  private readonly spkis: Set<string>;
  private readonly allowExpired: boolean;
  private readonly acceptUntrusted: boolean;

  constructor(vc: ValidationContext, path: string, hasTrustedCa: boolean) {
    this.hasTrustedCa = hasTrustedCa;
    this.sans = compileSanMatchers(vc, path);
    ({ hashes: this.hashes, spkis: this.spkis } = decodePins(vc, path));
    this.allowExpired = vc.allow_expired_certificate === true;
    this.acceptUntrusted = vc.trust_chain_verification === 'ACCEPT_UNTRUSTED';
    if (!hasTrustedCa && this.sans.length) {
      throw ConfigError.single(path, 'SAN-based verification of peer certificates without trusted CA is insecure and not allowed', spanOf(vc));
    }
    if (!hasTrustedCa && vc.crl) throw ConfigError.single(`${path}.crl`, 'Failed to load CRL without trusted CA', spanOf(vc));
  }

  /** Whether a peer certificate should be asked for at all (server side). */
  get wantsPeerCertificate(): boolean {
    return this.hasTrustedCa || this.hashes.size > 0 || this.spkis.size > 0;
  }

  get checksSans(): boolean {
    return this.sans.length > 0;
  }

  /**
   * `chainError` is OpenSSL's verify result code for the presented chain (null: it
   * verified). Only consulted when a trusted CA is configured.
   */
  verify(leaf: X509Certificate, chainError: string | null | undefined): VerifyResult {
    if (this.hasTrustedCa && chainError && !(this.allowExpired && EXPIRY_ERRORS.has(chainError))) {
      return { failure: 'fail_verify_error', accept: this.acceptUntrusted, reason: chainError };
    }
    const sanFailure = this.verifySans(leaf);
    if (sanFailure) return sanFailure;
    if (this.hashes.size || this.spkis.size) {
      const ok = (this.hashes.size > 0 && this.hashes.has(certSha256(leaf))) || (this.spkis.size > 0 && this.spkis.has(spkiSha256(leaf)));
      if (!ok) return { failure: 'fail_verify_cert_hash', accept: this.acceptUntrusted, reason: 'certificate hash / SPKI mismatch' };
    }
    return { accept: true };
  }

  /** SAN matchers alone (upstream checkServerIdentity runs them after OpenSSL's chain check). */
  verifySans(leaf: X509Certificate): VerifyResult | undefined {
    if (!this.sans.length || this.matchesSans(subjectAltNames(leaf))) return undefined;
    return { failure: 'fail_verify_san', accept: this.acceptUntrusted, reason: 'subject alt name mismatch' };
  }

  private matchesSans(names: SubjectAltNames): boolean {
    return this.sans.some((m) => {
      const keys = m.type ? [SAN_KEYS[m.type]] : (['dns', 'uri', 'ip', 'email'] as const);
      return keys.some((k) =>
        names[k].some((value) => (k === 'dns' && m.exactDns !== undefined ? dnsNameMatch(m.exactDns, value) : m.match(value))),
      );
    });
  }
}
