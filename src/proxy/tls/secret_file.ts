// Reads a file-based SDS resource file: a DiscoveryResponse in YAML or JSON whose
// `resources` are Secrets, as Envoy's filesystem subscription expects:
//   resources:
//   - "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
//     name: server_cert
//     tls_certificate: { certificate_chain: { filename: ... }, private_key: { filename: ... } }
import fs from 'node:fs';
import type { envoy } from '../../api/envoy-types.generated.js';
import { readMessageFromJson } from '../../api/json/from-json.js';
import { ConfigError, formatIssue } from '../../api/json/issues.js';
import { parseYamlDocument, PositionIndex, SourceSyntaxError } from '../../api/yaml/source.js';

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
/** Fields whose values must never be echoed back in an error message. */
const SENSITIVE_PATH = /private_key|password|pkcs12|session_ticket_keys|generic_secret/;

/** Parses `file`; throws an Error whose message names the file and never quotes key material. */
export function readSecretFile(file: string): Secret[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read SDS file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const positions = new PositionIndex();
  let raw: unknown;
  try {
    raw = parseYamlDocument(text, positions, file).value;
  } catch (err) {
    if (err instanceof SourceSyntaxError) throw new Error(`SDS file ${file}: ${err.reason}`);
    throw err;
  }
  let response: envoy.service.discovery.v3.DiscoveryResponse;
  try {
    response = readMessageFromJson<envoy.service.discovery.v3.DiscoveryResponse>('envoy.service.discovery.v3.DiscoveryResponse', raw ?? {}, { positions }).message;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const lines = err.issues.map((i) => formatIssue(SENSITIVE_PATH.test(i.path) ? { ...i, message: 'invalid value (not shown: sensitive field)' } : i));
    throw new Error(`SDS file ${file} is not a valid DiscoveryResponse:\n  ${lines.join('\n  ')}`);
  }
  const secrets: Secret[] = [];
  for (const [i, r] of (response.resources ?? []).entries()) {
    if (r['@type'] !== SECRET_TYPE) throw new Error(`SDS file ${file}: resources[${i}] has type ${r['@type']}, expected ${SECRET_TYPE}`);
    const { '@type': _t, ...secret } = r;
    secrets.push(secret as Secret);
  }
  return secrets;
}
