// `proxy-config secret`: RESOURCE NAME TYPE STATUS VALID CERT SERIAL NUMBER NOT AFTER
// NOT BEFORE, from the SecretsConfigDump. For each secret the first certificate of
// its chain (or of its trusted CA) is read: "Cert Chain" or "CA", its serial number
// in decimal, validity in RFC 3339 UTC, and whether it is valid now. Like istioctl:
// warming secrets first, then active ones ("UNINITIALIZED" while SDS has not sent
// them). Unlike istioctl, static secrets from the bootstrap are listed too (STATIC).
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { list, obj, str, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { formatTable } from './table.js';

export interface SecretItem {
  name: string;
  status: string;
  type: string;
  valid: boolean;
  serialNumber: string;
  notAfter: string;
  notBefore: string;
}

/** A DataSource's bytes as text: inline_bytes (base64), inline_string, or a file on this machine. */
function dataSourceText(ds: Json | undefined): string {
  if (!ds) return '';
  const bytes = str(ds, 'inline_bytes');
  if (bytes) return Buffer.from(bytes, 'base64').toString('utf8');
  const inline = str(ds, 'inline_string');
  if (inline) return inline;
  const file = str(ds, 'filename');
  if (file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }
  return '';
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What istioctl shows of a PEM: its first certificate. */
export function certificateMeta(pem: string, now = new Date()): Omit<SecretItem, 'name' | 'status'> {
  const empty = { type: '', valid: false, serialNumber: '', notAfter: '', notBefore: '' };
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!first) return empty;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(first);
  } catch {
    return empty;
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return {
    type: cert.ca ? 'CA' : 'Cert Chain',
    valid: now > notBefore && now < notAfter,
    serialNumber: BigInt(`0x${cert.serialNumber}`).toString(10),
    notAfter: rfc3339(notAfter),
    notBefore: rfc3339(notBefore),
  };
}

function item(entry: unknown, status: string): SecretItem {
  const secret = obj(entry, 'secret');
  const chain = dataSourceText(obj(secret, 'tls_certificate', 'certificate_chain'));
  const pem = chain || dataSourceText(obj(secret, 'validation_context', 'trusted_ca'));
  return { name: str(entry, 'name') || str(secret, 'name'), status, ...certificateMeta(pem) };
}

export function secretItems(section: Json): SecretItem[] {
  return [
    ...list(section, 'dynamic_warming_secrets').map((s) => item(s, 'WARMING')),
    ...list(section, 'dynamic_active_secrets').map((s) => item(s, str(s, 'version_info') === 'uninitialized' ? 'UNINITIALIZED' : 'ACTIVE')),
    ...list(section, 'static_secrets').map((s) => item(s, 'STATIC')),
  ];
}

export function formatSecrets(section: Json): string {
  const items = secretItems(section);
  if (items.length === 0) return 'No active or warming secrets found.\n';
  return formatTable([
    ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'],
    ...items.map((s) => [s.name, s.type, s.status, String(s.valid), s.serialNumber, s.notAfter, s.notBefore]),
  ]);
}

/** `-o json|yaml`: the whole SecretsConfigDump (private keys are already redacted by the proxy). */
export function secretsJson(section: Json): unknown {
  const { '@type': _t, ...rest } = section;
  return camelCaseMessage('envoy.admin.v3.SecretsConfigDump', rest);
}
