// Facts about X.509 certificates, read with node:crypto's X509Certificate and
// printed the way Envoy prints them (SAN lists, RFC 2253 subjects, /certs details).
import crypto, { X509Certificate } from 'node:crypto';

export interface SubjectAltNames {
  dns: string[];
  uri: string[];
  ip: string[];
  email: string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle, in order; throws when there is none or one is malformed. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (!blocks.length) throw new Error('no certificate found in PEM data');
  return blocks.map((b) => new X509Certificate(b));
}

/** IPv6 SANs in the compressed form Envoy prints ("::1", not "0:0:0:0:0:0:0:1"). */
function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

/**
 * Splits node's subjectAltName text ("DNS:a, URI:b, IP Address:1.2.3.4"). Node
 * JSON-quotes values holding separators, so a quoted value is read as JSON.
 */
export function subjectAltNames(cert: X509Certificate): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], uri: [], ip: [], email: [] };
  const text = cert.subjectAltName ?? '';
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const label = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      next = text.indexOf(', ', j);
    } else {
      next = text.indexOf(', ', colon);
      value = text.slice(colon + 1, next < 0 ? undefined : next);
    }
    if (label === 'DNS') out.dns.push(value);
    else if (label === 'URI') out.uri.push(value);
    else if (label === 'IP Address') out.ip.push(normalizeIp(value));
    else if (label === 'email') out.email.push(value);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

/** base64 SHA-256 of the DER SubjectPublicKeyInfo (verify_certificate_spki's form). */
export function spkiSha256(cert: X509Certificate): string {
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

/** Lower-case hex SHA-256 of the DER certificate (verify_certificate_hash's form, no colons). */
export function certSha256(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** "CN=leaf,O=org": OpenSSL's RFC 2253 order (last RDN first), as Envoy reports subjects. */
export function subjectRfc2253(cert: X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      return `${rdn.slice(0, eq)}=${rdn.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1')}`;
    })
    .join(',');
}

/** DNS names a server certificate answers for: its DNS SANs, or its CN when it has none. */
export function serverNames(cert: X509Certificate): string[] {
  const dns = subjectAltNames(cert).dns;
  if (dns.length) return dns;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  return cn ? [cn] : [];
}

/** RFC 6125 style: exact (case-insensitive), or "*.example.com" covering one label. */
export function dnsNameMatch(name: string, pattern: string): boolean {
  const n = name.toLowerCase();
  const p = pattern.toLowerCase();
  if (n === p) return true;
  if (p.startsWith('*.') && n.length > p.length - 1) {
    const cut = n.length - (p.length - 1);
    return n.endsWith(p.slice(1)) && !n.slice(0, cut).includes('.') && cut > 0;
  }
  return false;
}

export interface CertificateDetails {
  path: string;
  serial_number: string;
  subject_alt_names: Array<{ dns: string } | { uri: string } | { ip_address: string }>;
  days_until_expiration: string;
  valid_from: string;
  expiration_time: string;
}

const DAY_MS = 86_400_000;

function rfc3339(date: string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One entry of admin /certs (envoy.admin.v3.CertificateDetails in proto3 JSON). */
export function certificateDetails(cert: X509Certificate, path: string, now = Date.now()): CertificateDetails {
  const sans = subjectAltNames(cert);
  const days = Math.max(0, Math.floor((Date.parse(cert.validTo) - now) / DAY_MS));
  return {
    path,
    serial_number: cert.serialNumber.toLowerCase(),
    subject_alt_names: [...sans.dns.map((dns) => ({ dns })), ...sans.uri.map((uri) => ({ uri })), ...sans.ip.map((ip_address) => ({ ip_address }))],
    days_until_expiration: String(days),
    valid_from: rfc3339(cert.validFrom),
    expiration_time: rfc3339(cert.validTo),
  };
}
