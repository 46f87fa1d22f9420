// envoy.transport_sockets.tls on listeners (DownstreamTlsContext): terminates TLS on
// an accepted socket with node:tls and reports the connection's TLS facts. OpenSSL
// runs the handshake and the chain check; the checks Envoy adds (SAN matchers,
// certificate pins) run right after it, before any byte reaches the filters, and
// a failure closes the connection with the counter Envoy would bump.
import type net from 'node:net';
import tls from 'node:tls';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { durationMs, unwrap } from '../../api/json/wkt.js';
import { logger } from '../../common/logger.js';
import { readDataSourceBytes } from '../common/data_source.js';
import type { ConnectionInfo } from '../http/connection_info.js';
import type { SecuredConnection, TransportSocketFactory } from '../listener/transport_socket.js';
import type { StatsScope } from '../stats/store.js';
import { subjectAltNames, subjectRfc2253 } from './cert_info.js';
import { registerTlsMaterial } from './certs_report.js';
import type { SecretManager } from './secret_manager.js';
import { ServerContextSet, type ServerContextOptions } from './server_contexts.js';
import { nodeTicketKeys, protocolOptions, randomTicketKeys } from './tls_params.js';
import { TlsMaterial } from './tls_material.js';
import { SslStatsRecorder } from './tls_stats.js';

type DownstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;

const log = logger('connection');

export interface TlsFactoryDeps {
  /** Scope the ssl.* counters live under (e.g. `listener.0.0.0.0_443.ssl.`). */
  stats: StatsScope;
  secrets: SecretManager;
}

/** OpenSSL's verdict on the peer chain. node keeps it on the socket's handle (what tls.Server reads). */
function chainVerifyError(socket: tls.TLSSocket): string | null {
  const handle = (socket as unknown as { ssl?: { verifyError?: () => (Error & { code?: string }) | null } }).ssl;
  const err = handle?.verifyError?.();
  return err ? (err.code ?? err.message) : null;
}

export function tlsConnectionFacts(socket: tls.TLSSocket): NonNullable<ConnectionInfo['tls']> {
  const peer = socket.getPeerX509Certificate();
  const local = socket.getX509Certificate();
  const peerSans = peer ? subjectAltNames(peer) : undefined;
  return {
    sni: (socket as { servername?: string | false | null }).servername || undefined,
    alpn: socket.alpnProtocol || undefined,
    peerCertificatePresented: peer !== undefined,
    peerUriSans: peerSans?.uri,
    peerDnsSans: peerSans?.dns,
    peerSubject: peer ? subjectRfc2253(peer) : undefined,
    localUriSans: local ? subjectAltNames(local).uri : undefined,
    version: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
  };
}

export class DownstreamTlsSocketFactory implements TransportSocketFactory {
  readonly secure = true;
  readonly material: TlsMaterial;
  private contexts?: ServerContextSet;
  private readonly ssl: SslStatsRecorder;
  private readonly options: ServerContextOptions;
  private readonly alpn?: string[];
  private readonly requireClientCert: boolean;
  private readonly requireSni: boolean;
  private readonly unregister: () => void;

  constructor(
    config: DownstreamTlsContext,
    private readonly path: string,
    deps: TlsFactoryDeps,
  ) {
    const common = config.common_tls_context ?? {};
    const commonPath = `${path}.common_tls_context`;
    if (config.session_ticket_keys_sds_secret_config) {
      throw ConfigError.single(`${path}.session_ticket_keys_sds_secret_config`, 'session ticket keys over SDS are not supported by skein', spanOf(config));
    }
    this.options = {
      protocol: protocolOptions(common.tls_params, `${commonPath}.tls_params`, false),
      sessionTimeoutSeconds: config.session_timeout ? Math.max(1, Math.floor(durationMs(config.session_timeout, 0) / 1000)) : undefined,
      ticketKeys: ticketKeys(config, path),
      disableTickets: config.disable_stateless_session_resumption === true,
    };
    this.alpn = common.alpn_protocols?.length ? common.alpn_protocols : undefined;
    this.requireClientCert = unwrap(config.require_client_certificate, false);
    this.requireSni = unwrap(config.require_sni, false);
    this.ssl = new SslStatsRecorder(deps.stats);
    this.material = new TlsMaterial(common, commonPath, deps.secrets);
    this.material.onChange = () => this.rebuild(false);
    this.rebuild(true);
    this.unregister = registerTlsMaterial(this.material);
  }

  private rebuild(strict: boolean): void {
    if (!this.material.ready) return; // waiting for SDS; handshakes fail until it arrives
    try {
      this.contexts = new ServerContextSet(this.material, this.options, `${this.path}.common_tls_context`);
    } catch (err) {
      if (strict) throw err;
      log.warn(`${this.path}: keeping the previous TLS context: ${(err as Error).message}`);
    }
  }

  wrap(socket: net.Socket): Promise<SecuredConnection> {
    const set = this.contexts;
    if (!set) {
      this.ssl.stats.connection_error.inc();
      socket.destroy();
      return Promise.reject(new Error('TLS context not ready: its SDS secrets have not arrived'));
    }
    const validator = set.validator;
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: set.defaultContext,
      SNICallback: (name, cb) => cb(null, set.select(name)),
      ALPNProtocols: this.alpn,
      requestCert: this.requireClientCert || (validator?.wantsPeerCertificate ?? false),
      // Makes OpenSSL refuse a handshake without a client certificate (alert 116);
      // every other check is ours, below.
      rejectUnauthorized: this.requireClientCert,
    });
    return new Promise((resolve, reject) => {
      const settle = () => {
        tlsSocket.off('secure', onSecure);
        tlsSocket.off('error', onError);
        tlsSocket.off('close', onClose);
        tlsSocket.on('error', (err) => log.debug(`TLS connection error: ${err.message}`));
      };
      const fail = (err: Error) => {
        settle();
        tlsSocket.destroy();
        reject(err);
      };
      const onError = (err: Error) => {
        this.ssl.handshakeError(err);
        log.debug(`TLS handshake error: ${err.message}`);
        fail(err);
      };
      const onClose = () => fail(new Error('connection closed during the TLS handshake'));
      const onSecure = () => {
        const refused = this.checkPeer(tlsSocket, set);
        if (refused) return fail(new Error(refused));
        settle();
        // A hand-built server TLSSocket keeps secureConnecting set after its handshake;
        // node:http2 would then wait forever for a 'secureConnect' only clients emit.
        (tlsSocket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
        this.ssl.handshake(tlsSocket, false);
        resolve({ stream: tlsSocket, tls: tlsConnectionFacts(tlsSocket) });
      };
      tlsSocket.once('secure', onSecure);
      tlsSocket.once('error', onError);
      tlsSocket.once('close', onClose);
    });
  }

  /** Envoy's checks after OpenSSL's; returns why the connection is refused, if it is. */
  private checkPeer(socket: tls.TLSSocket, set: ServerContextSet): string | undefined {
    if (this.requireSni && !(socket as { servername?: string | false | null }).servername) {
      this.ssl.stats.connection_error.inc();
      return 'client did not send SNI (require_sni)';
    }
    const peer = socket.getPeerX509Certificate();
    if (!peer) {
      if (!this.requireClientCert) return undefined;
      this.ssl.verifyFailed('fail_verify_no_cert');
      return 'client did not present a certificate';
    }
    if (!set.validator) return undefined;
    const result = set.validator.verify(peer, chainVerifyError(socket));
    if (result.failure) this.ssl.verifyFailed(result.failure);
    return result.accept ? undefined : `client certificate rejected: ${result.reason}`;
  }

  /** Stops watching files and secrets and leaves /certs (the listener generation is gone). */
  close(): void {
    this.unregister();
    this.material.close();
  }
}

function ticketKeys(config: DownstreamTlsContext, path: string): Buffer {
  const key = config.session_ticket_keys?.keys?.[0];
  if (!key) return randomTicketKeys();
  const bytes = readDataSourceBytes(key, `${path}.session_ticket_keys.keys[0]`);
  if (bytes.length !== 80) {
    throw ConfigError.single(`${path}.session_ticket_keys.keys[0]`, `Incorrect TLS session ticket key length. Length 80 expected, but was ${bytes.length}`, spanOf(config));
  }
  return nodeTicketKeys(bytes);
}
