// TlsParameters → node:tls SecureContext options. Envoy speaks BoringSSL's dialect
// (cipher names, "[a|b]" equal-preference groups, defaults); node links OpenSSL, so
// names are translated here and checked one by one at config time, as Envoy rejects
// a list naming any cipher it does not know.
import crypto from 'node:crypto';
import tls from 'node:tls';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';

type TlsParameters = envoy.extensions.transport_sockets.tls.v3.TlsParameters;
type TlsProtocol = envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol;

/** Envoy's default TLS 1.0–1.2 cipher list (servers and clients alike since 1.2x). */
export const DEFAULT_CIPHERS = [
  '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]',
  '[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
];
export const DEFAULT_CURVES = ['X25519', 'P-256'];
/** BoringSSL's fixed TLS 1.3 order (AES-128 first), so ssl.ciphers.* read as Envoy's do. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Names BoringSSL accepts that OpenSSL spells differently (old TLS 1.3 names, IANA names). */
const CIPHER_ALIASES: Record<string, string> = {
  'AEAD-AES128-GCM-SHA256': 'TLS_AES_128_GCM_SHA256',
  'AEAD-AES256-GCM-SHA384': 'TLS_AES_256_GCM_SHA384',
  'AEAD-CHACHA20-POLY1305-SHA256': 'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256': 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256': 'ECDHE-RSA-AES128-GCM-SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384': 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384': 'ECDHE-RSA-AES256-GCM-SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256': 'ECDHE-ECDSA-CHACHA20-POLY1305',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256': 'ECDHE-RSA-CHACHA20-POLY1305',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA': 'ECDHE-ECDSA-AES128-SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA': 'ECDHE-RSA-AES128-SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA': 'ECDHE-ECDSA-AES256-SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA': 'ECDHE-RSA-AES256-SHA',
  'TLS_RSA_WITH_AES_128_GCM_SHA256': 'AES128-GCM-SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384': 'AES256-GCM-SHA384',
  'TLS_RSA_WITH_AES_128_CBC_SHA': 'AES128-SHA',
  'TLS_RSA_WITH_AES_256_CBC_SHA': 'AES256-SHA',
};

const VERSIONS: Record<Exclude<TlsProtocol, 'TLS_AUTO'>, tls.SecureVersion> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};
const VERSION_ORDER: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface ProtocolOptions {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  /** OpenSSL cipher string: TLS 1.3 suites first, then the TLS 1.0–1.2 list. */
  ciphers: string;
  ecdhCurve: string;
  sigalgs?: string;
}

const knownCiphers = new Set(tls.getCiphers().map((c) => c.toUpperCase()));

/** Expands "[a|b]" groups and maps BoringSSL/IANA names; rules like "!aNULL" pass through. */
export function translateCipherList(list: readonly string[]): string[] {
  return list.flatMap((entry) => entry.replace(/^\[|\]$/g, '').split(/[|:]/)).map((n) => n.trim()).filter(Boolean).map((n) => CIPHER_ALIASES[n] ?? n);
}

function isRule(name: string): boolean {
  return /^[!+-]|^@|^(ALL|HIGH|MEDIUM|DEFAULT|COMPLEMENTOFDEFAULT)$/.test(name);
}

/**
 * Options for tls.createSecureContext from `params` (undefined → Envoy's defaults).
 * `client` selects Envoy's client defaults (TLS 1.2 maximum).
 */
export function protocolOptions(params: TlsParameters | undefined, path: string, client: boolean): ProtocolOptions {
  const at = (field: string) => `${path}.${field}`;
  const version = (v: TlsProtocol | undefined, fallback: tls.SecureVersion) => (!v || v === 'TLS_AUTO' ? fallback : VERSIONS[v]);
  const minVersion = version(params?.tls_minimum_protocol_version, 'TLSv1.2');
  const maxVersion = version(params?.tls_maximum_protocol_version, client ? 'TLSv1.2' : 'TLSv1.3');
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    throw ConfigError.single(at('tls_minimum_protocol_version'), `minimum protocol version ${minVersion} is above the maximum ${maxVersion}`, spanOf(params));
  }
  const requested = params?.cipher_suites?.length ? params.cipher_suites : DEFAULT_CIPHERS;
  const names = translateCipherList(requested);
  const rejected = names.filter((n) => !isRule(n) && !knownCiphers.has(n.toUpperCase()));
  if (rejected.length) {
    throw ConfigError.single(
      at('cipher_suites'),
      `Failed to initialize cipher suites ${requested.join(':')}. The following ciphers were rejected when tried individually: ${rejected.join(', ')}`,
      spanOf(params),
    );
  }
  // TLS 1.3 suites are not configurable in Envoy (BoringSSL): keep them all unless listed.
  const tls13 = names.filter((n) => n.startsWith('TLS_'));
  const legacy = names.filter((n) => !n.startsWith('TLS_'));
  const ciphers = [...(tls13.length ? tls13 : TLS13_SUITES), ...legacy].join(':');
  const curves = params?.ecdh_curves?.length ? params.ecdh_curves : DEFAULT_CURVES;
  const ecdhCurve = curves.join(':');
  try {
    tls.createSecureContext({ ecdhCurve });
  } catch {
    throw ConfigError.single(at('ecdh_curves'), `Failed to initialize ECDH curves ${ecdhCurve}`, spanOf(params));
  }
  const sigalgs = params?.signature_algorithms?.length ? params.signature_algorithms.join(':') : undefined;
  if (sigalgs) {
    try {
      tls.createSecureContext({ sigalgs });
    } catch {
      throw ConfigError.single(at('signature_algorithms'), `Failed to initialize TLS signature algorithms ${sigalgs}`, spanOf(params));
    }
  }
  return { minVersion, maxVersion, ciphers, ecdhCurve, sigalgs };
}

/**
 * Envoy's session ticket keys are 80 bytes (BoringSSL: 16 name, 32 HMAC, 32 AES);
 * node takes 48 (16 name, 16 HMAC, 16 AES). The first key is folded into node's form
 * so processes sharing the keys resume each other's tickets.
 */
export function nodeTicketKeys(key: Buffer): Buffer {
  return Buffer.concat([key.subarray(0, 16), key.subarray(16, 32), key.subarray(48, 64)]);
}

/** Random keys shared by every SecureContext of one TLS context (SNI switches keep tickets valid). */
export function randomTicketKeys(): Buffer {
  return crypto.randomBytes(48);
}
