// UpstreamTlsContext on clusters: options for node's tls.connect (a SecureContext
// kept current as certificates rotate, SNI, ALPN, the verification Envoy does), and
// cluster.<name>.ssl.* counters for the connections a pool opens with them.
// Envoy verifies upstream servers only when a validation context is configured, and
// never checks the hostname unless told to (auto_san_validation); node does both by
// default, so both are overridden here.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { unwrap } from '../../api/json/wkt.js';
import { logger } from '../../common/logger.js';
import type { StatsScope } from '../stats/store.js';
import { registerTlsMaterial } from './certs_report.js';
import { CertValidator, type VerifyResult } from './cert_validator.js';
import { defaultSecretManager, type SecretManager } from './secret_manager.js';
import { protocolOptions, type ProtocolOptions } from './tls_params.js';
import { TlsMaterial } from './tls_material.js';
import { SslStatsRecorder } from './tls_stats.js';

type Cluster = envoy.config.cluster.v3.Cluster;
type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
type TransportSocket = envoy.config.core.v3.TransportSocket;

const log = logger('connection');
export const UPSTREAM_TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const RAW_BUFFER_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
/** Errors this module raised after counting them itself (the error handler must not count again). */
const COUNTED = 'ERR_SKEIN_TLS_PEER_REJECTED';

export interface UpstreamTlsDeps {
  secrets?: SecretManager;
  /** The cluster's stats scope (`cluster.<name>.`); ssl.* counters go under it. */
  stats?: StatsScope;
}

export class UpstreamTls {
  readonly sni?: string;
  /** upstream_http_protocol_options.auto_sni: use the request's host as SNI (pass it to connectOptions). */
  readonly autoSni: boolean;
  /** auto_san_validation: verify the server certificate against that SNI. */
  readonly autoSanValidation: boolean;
  /** Header whose value replaces the host for auto_sni, when set. */
  readonly overrideAutoSniHeader?: string;
  readonly alpn?: string[];
  readonly material: TlsMaterial;
  private secureContext?: tls.SecureContext;
  private validator?: CertValidator;
  private readonly protocol: ProtocolOptions;
  private readonly ssl?: SslStatsRecorder;
  private readonly sessions = new Map<string, Buffer>();
  private readonly maxSessions: number;
  private readonly unregister: () => void;

  constructor(config: UpstreamTlsContext, cluster: Cluster, private readonly path: string, deps: UpstreamTlsDeps) {
    const common = config.common_tls_context ?? {};
    const commonPath = `${path}.common_tls_context`;
    const certCount = (common.tls_certificates?.length ?? 0) + (common.tls_certificate_sds_secret_configs?.length ?? 0);
    if (certCount > 1) throw ConfigError.single(commonPath, 'Multiple TLS certificates are not supported for client contexts', spanOf(common));
    this.sni = config.sni || undefined;
    const http = httpProtocolOptions(cluster);
    this.autoSni = http?.auto_sni === true;
    this.autoSanValidation = http?.auto_san_validation === true;
    this.overrideAutoSniHeader = http?.override_auto_sni_header || undefined;
    this.alpn = common.alpn_protocols?.length ? common.alpn_protocols : undefined;
    this.maxSessions = unwrap(config.max_session_keys, 1);
    this.protocol = protocolOptions(common.tls_params, `${commonPath}.tls_params`, true);
    this.ssl = deps.stats ? new SslStatsRecorder(deps.stats.scope('ssl.')) : undefined;
    this.material = new TlsMaterial(common, commonPath, deps.secrets ?? defaultSecretManager);
    this.material.onChange = () => this.rebuild(false);
    this.rebuild(true);
    this.unregister = registerTlsMaterial(this.material);
  }

  private rebuild(strict: boolean): void {
    if (!this.material.ready) return;
    try {
      const v = this.material.validation;
      const validator = v ? new CertValidator(v.config, `${this.path}.common_tls_context.validation_context`, v.caPem !== undefined) : undefined;
      const cert = this.material.certificates[0]?.secure;
      const p = this.protocol;
      this.secureContext = tls.createSecureContext({
        ...cert,
        ca: v?.caPem,
        crl: v?.crlPem,
        minVersion: p.minVersion,
        maxVersion: p.maxVersion,
        ciphers: p.ciphers,
        ecdhCurve: p.ecdhCurve,
        sigalgs: p.sigalgs,
      });
      this.validator = validator;
      this.sessions.clear();
    } catch (err) {
      if (strict) throw err;
      log.warn(`${this.path}: keeping the previous TLS context: ${(err as Error).message}`);
    }
  }

  /** False while an SDS secret the context needs has not arrived (connections would fail). */
  get ready(): boolean {
    return this.secureContext !== undefined;
  }

  /**
   * tls.connect options for pools that take one options object and spread it per
   * connection (`tls.connect({ ...options, host, port })`): each spread reads the
   * current SecureContext, so rotated certificates reach new connections. Without
   * attach() no ssl.* counters are kept. `host` is the SNI auto_sni chose for the pool.
   */
  liveOptions(host?: string): tls.ConnectionOptions {
    const live = {} as tls.ConnectionOptions;
    for (const key of ['secureContext', 'servername', 'session', 'rejectUnauthorized', 'checkServerIdentity', 'ALPNProtocols'] as const) {
      if (key === 'ALPNProtocols' && !this.alpn) continue; // leave the pool's own default (h2) alone
      Object.defineProperty(live, key, { enumerable: true, get: () => this.connectOptions(host)[key] });
    }
    return live;
  }

  /** Whether node's own chain check applies; otherwise attach() verifies after the handshake. */
  private get nodeVerifiesChain(): boolean {
    const vc = this.material.validation?.config;
    return this.validator?.hasTrustedCa === true && vc?.allow_expired_certificate !== true && vc?.trust_chain_verification !== 'ACCEPT_UNTRUSTED';
  }

  /**
   * Options for one tls.connect (add host/port or socket). `host` is the request's
   * authority without port: used as SNI when auto_sni is on. Throws while not ready.
   */
  connectOptions(host?: string): tls.ConnectionOptions {
    if (!this.secureContext) throw new Error('upstream TLS context not ready: its SDS secrets have not arrived');
    const servername = (this.autoSni && host) || this.sni;
    const session = this.maxSessions > 0 ? this.sessions.get(servername ?? '') : undefined;
    return {
      secureContext: this.secureContext,
      ...(servername ? { servername } : {}),
      ...(this.alpn ? { ALPNProtocols: this.alpn } : {}),
      ...(session ? { session } : {}),
      rejectUnauthorized: this.nodeVerifiesChain,
      checkServerIdentity: (_host, cert) => this.checkServerIdentity(servername, cert),
    };
  }

  /** Runs after OpenSSL verified the chain (node calls it only then, and not on resumption). */
  /**
   * The SNI auto_sni derives from a request: the override header's value when one is
   * configured and present, else the request's authority, without its port.
   */
  sniForRequest(authority: string | undefined, header: (name: string) => string | undefined): string | undefined {
    if (!this.autoSni) return undefined;
    const raw = (this.overrideAutoSniHeader && header(this.overrideAutoSniHeader)) || authority;
    if (!raw) return undefined;
    const host = raw.startsWith('[') ? raw.slice(1, raw.indexOf(']')) : raw.replace(/:\d+$/, '');
    return host || undefined;
  }

  private checkServerIdentity(servername: string | undefined, cert: tls.PeerCertificate): Error | undefined {
    if (!this.nodeVerifiesChain) return undefined; // attach() runs every check instead
    const leaf = new X509Certificate(cert.raw);
    if (this.autoSanValidation && servername && tls.checkServerIdentity(servername, cert)) {
      return this.rejected({ failure: 'fail_verify_san', accept: false, reason: `certificate does not match ${servername}` });
    }
    const result = this.validator?.verify(leaf, null);
    return result?.failure ? this.rejected(result) : undefined;
  }

  private rejected(result: VerifyResult): Error | undefined {
    if (result.failure) this.ssl?.verifyFailed(result.failure);
    if (result.accept) return undefined;
    return Object.assign(new Error(`upstream certificate rejected: ${result.reason}`), { code: COUNTED });
  }

  /**
   * Call right after tls.connect(connectOptions()) with the new socket: counts
   * cluster.<name>.ssl.*, remembers the session for resumption, and runs the checks
   * node cannot (pins without a trusted CA, allow_expired_certificate, ACCEPT_UNTRUSTED).
   */
  attach(socket: tls.TLSSocket, host?: string): void {
    const key = (this.autoSni && host) || this.sni || '';
    let handshaken = false;
    socket.once('secureConnect', () => {
      if (!this.nodeVerifiesChain && this.validator) {
        const leaf = socket.getPeerX509Certificate();
        const result: VerifyResult = leaf
          ? this.validator.verify(leaf, socket.authorizationError ? String(socket.authorizationError) : null)
          : { failure: 'fail_verify_no_cert', accept: false, reason: 'server presented no certificate' };
        const err = this.rejected(result);
        if (err) return socket.destroy(err);
      }
      handshaken = true;
      this.ssl?.handshake(socket, true);
    });
    socket.on('session', (session: Buffer) => {
      if (this.maxSessions <= 0) return;
      this.sessions.delete(key);
      this.sessions.set(key, session);
      while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // TCP-level failures (they carry a syscall) are not TLS errors, as in Envoy.
      if (handshaken || err.code === COUNTED || err.syscall) return;
      this.ssl?.handshakeError(err);
    });
  }

  /** Leaves /certs and stops watching files (the cluster is gone). */
  close(): void {
    this.unregister();
    this.material.close();
  }
}

function httpProtocolOptions(cluster: Cluster): envoy.config.core.v3.UpstreamHttpProtocolOptions | undefined {
  const typed = cluster.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] as
    | envoy.extensions.upstreams.http.v3.HttpProtocolOptions
    | undefined;
  return typed?.upstream_http_protocol_options ?? cluster.upstream_http_protocol_options;
}

/**
 * The cluster's TLS origination, or undefined when it speaks plaintext (no
 * transport_socket, or raw_buffer). `path` is the cluster's config path.
 */
export function createUpstreamTls(cluster: Cluster, path: string, deps: UpstreamTlsDeps = {}): UpstreamTls | undefined {
  const ts = cluster.transport_socket;
  if (!ts) return undefined;
  return createTransportSocket(ts, cluster, `${path}.transport_socket`, deps);
}

/** One upstream transport socket config (TLS, or raw_buffer → undefined). */
export function createTransportSocket(ts: TransportSocket, cluster: Cluster, at: string, deps: UpstreamTlsDeps = {}): UpstreamTls | undefined {
  const url = ts.typed_config?.['@type'];
  if (url === RAW_BUFFER_TYPE || (!url && (ts.name === 'envoy.transport_sockets.raw_buffer' || ts.name === 'raw_buffer'))) return undefined;
  if (url !== UPSTREAM_TLS_TYPE && !(url === undefined && (ts.name === 'envoy.transport_sockets.tls' || ts.name === 'tls'))) {
    throw ConfigError.single(at, `upstream transport socket ${url ?? ts.name ?? ''} is not supported by skein (supported: envoy.transport_sockets.tls, envoy.transport_sockets.raw_buffer)`, spanOf(ts));
  }
  const { '@type': _t, ...config } = ts.typed_config ?? { '@type': UPSTREAM_TLS_TYPE };
  return new UpstreamTls(config as UpstreamTlsContext, cluster, `${at}.typed_config`, deps);
}

/** Plain tls.connect options for a cluster (no stats, no rotation): for one-off clients. */
export function upstreamTlsOptions(cluster: Cluster, path: string, secrets?: SecretManager): tls.ConnectionOptions | undefined {
  return createUpstreamTls(cluster, path, { secrets })?.connectOptions();
}
