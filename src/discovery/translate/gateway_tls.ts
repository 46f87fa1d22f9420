// Gateway server `tls` → the DownstreamTlsContext of its filter chain. Certificates come
// from a Kubernetes Secret (credentialName, served over SDS as kubernetes://NAME) or
// from files on the gateway (serverCertificate / privateKey / caCertificates).
import type { GatewayServer, GatewaySpec } from '../../api/istio/types.js';
import type { NamedConfig } from '../model/types.js';
import type { TranslateContext } from './context.js';
import { DOWNSTREAM_TLS_TYPE, sdsConfigSource, typed, type Json } from './envoy.js';

const TLS_VERSIONS: Record<string, string> = {
  TLS_AUTO: 'TLS_AUTO',
  TLSV1_0: 'TLSv1_0',
  TLSV1_1: 'TLSv1_1',
  TLSV1_2: 'TLSv1_2',
  TLSV1_3: 'TLSv1_3',
};

/** The transport socket terminating TLS for `server`, or undefined (with a warning) when it cannot be built. */
export function serverTransportSocket(ctx: TranslateContext, gw: NamedConfig<GatewaySpec>, server: GatewayServer, http: boolean): Json | undefined {
  const tls = server.tls!;
  const mode = tls.mode ?? 'SIMPLE';
  const mutual = mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  const common: Json = {};
  if (http) common.alpn_protocols = ['h2', 'http/1.1'];
  const params: Json = {};
  if (tls.minProtocolVersion && TLS_VERSIONS[tls.minProtocolVersion]) params.tls_minimum_protocol_version = TLS_VERSIONS[tls.minProtocolVersion];
  if (tls.maxProtocolVersion && TLS_VERSIONS[tls.maxProtocolVersion]) params.tls_maximum_protocol_version = TLS_VERSIONS[tls.maxProtocolVersion];
  if (tls.cipherSuites?.length) params.cipher_suites = tls.cipherSuites;
  if (Object.keys(params).length) common.tls_params = params;
  const sans = (tls.subjectAltNames ?? []).map((s) => ({ exact: s }));
  const validation: Json = sans.length ? { match_subject_alt_names: sans } : {};

  if (tls.credentialName) {
    const cert = ctx.secrets.certificate(tls.credentialName, gw);
    if (!cert) return undefined;
    common.tls_certificate_sds_secret_configs = [{ name: cert, sds_config: sdsConfigSource() }];
    if (mutual) {
      const ca = ctx.secrets.caCertificate(tls.credentialName, gw);
      if (!ca) return undefined;
      common.combined_validation_context = {
        default_validation_context: validation,
        validation_context_sds_secret_config: { name: ca, sds_config: sdsConfigSource() },
      };
    }
  } else {
    if (!tls.serverCertificate || !tls.privateKey) {
      ctx.warn(gw, `server on port ${server.port.number}: tls mode ${mode} needs credentialName, or serverCertificate and privateKey; server skipped`);
      return undefined;
    }
    common.tls_certificates = [{ certificate_chain: { filename: tls.serverCertificate }, private_key: { filename: tls.privateKey } }];
    if (mutual) {
      if (!tls.caCertificates) {
        ctx.warn(gw, `server on port ${server.port.number}: tls mode ${mode} needs caCertificates to verify clients; server skipped`);
        return undefined;
      }
      common.validation_context = { trusted_ca: { filename: tls.caCertificates }, ...validation };
    }
  }
  const context: Json = { common_tls_context: common, require_client_certificate: mode === 'MUTUAL' };
  return { name: 'envoy.transport_sockets.tls', typed_config: typed(DOWNSTREAM_TLS_TYPE, context) };
}
