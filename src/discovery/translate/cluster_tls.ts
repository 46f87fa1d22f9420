// DestinationRule `tls` → the cluster's UpstreamTlsContext (TLS origination).
// DISABLE: plaintext. SIMPLE: verify the server (CA from a file or credentialName).
// MUTUAL: also present a client certificate. ISTIO_MUTUAL needs the mesh CA, which
// skein does not run yet, so it is skipped with a warning and the cluster stays
// plaintext (Istio's own fallback when no certificate is available is to fail closed;
// here the warning is the signal).
import type { ClientTLSSettings, DestinationRuleSpec } from '../../api/istio/types.js';
import type { NamedConfig } from '../model/types.js';
import type { TranslateContext } from './context.js';
import { sdsConfigSource, typed, UPSTREAM_TLS_TYPE, type Json } from './envoy.js';

export function upstreamTransportSocket(
  ctx: TranslateContext,
  tls: ClientTLSSettings | undefined,
  dr: NamedConfig<DestinationRuleSpec>,
): Json | undefined {
  const mode = tls?.mode ?? 'DISABLE';
  if (!tls || mode === 'DISABLE') return undefined;
  if (mode === 'ISTIO_MUTUAL') {
    ctx.warn(dr, 'tls mode ISTIO_MUTUAL needs the mesh CA, which skein does not provide yet; the cluster is left plaintext');
    return undefined;
  }
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL') {
    ctx.warn(dr, `unknown tls mode "${String(mode)}"; the cluster is left plaintext`);
    return undefined;
  }
  const common: Json = {};
  const sans = (tls.subjectAltNames ?? []).map((s) => ({ exact: s }));
  const validation: Json = sans.length ? { match_subject_alt_names: sans } : {};
  if (tls.credentialName) {
    if (mode === 'MUTUAL') {
      const cert = ctx.secrets.certificate(tls.credentialName, dr);
      if (!cert) return undefined;
      common.tls_certificate_sds_secret_configs = [{ name: cert, sds_config: sdsConfigSource() }];
    }
    if (!tls.insecureSkipVerify) {
      const ca = ctx.secrets.caCertificate(tls.credentialName, dr);
      if (!ca) return undefined;
      common.combined_validation_context = {
        default_validation_context: validation,
        validation_context_sds_secret_config: { name: ca, sds_config: sdsConfigSource() },
      };
    }
  } else {
    if (mode === 'MUTUAL') {
      if (!tls.clientCertificate || !tls.privateKey) {
        ctx.warn(dr, 'tls mode MUTUAL needs clientCertificate and privateKey (or credentialName); the cluster is left plaintext');
        return undefined;
      }
      common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
    }
    if (tls.caCertificates && !tls.insecureSkipVerify) {
      common.validation_context = { trusted_ca: { filename: tls.caCertificates }, ...validation };
    }
  }
  const context: Json = { common_tls_context: common };
  if (tls.sni) context.sni = tls.sni;
  return { name: 'envoy.transport_sockets.tls', typed_config: typed(UPSTREAM_TLS_TYPE, context) };
}
