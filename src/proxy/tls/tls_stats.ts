// ssl.* statistics, under `listener.<addr>.ssl.` downstream and `cluster.<name>.ssl.`
// upstream, with Envoy's names (source/common/tls/stats.h). Per-handshake facts are
// counted by name (ssl.ciphers.<cipher>, ssl.versions.<version>, ssl.curves.<curve>).
import type tls from 'node:tls';
import { declareStats, type StatsOf } from '../stats/declare.js';
import type { StatsScope } from '../stats/store.js';
import type { VerifyFailure } from './cert_validator.js';

export const SSL_STATS = declareStats({
  counters: [
    'connection_error', 'handshake', 'session_reused', 'no_certificate', 'fail_verify_no_cert', 'fail_verify_error',
    'fail_verify_san', 'fail_verify_cert_hash', 'ocsp_staple_failed', 'ocsp_staple_omitted', 'ocsp_staple_responses',
    'ocsp_staple_requests', 'was_key_usage_invalid',
  ],
  gauges: [],
  histograms: [],
});

export type SslStats = StatsOf<typeof SSL_STATS>;

/** OpenSSL verify results that mean "the peer's chain did not verify" (fail_verify_error, not connection_error). */
const CHAIN_ERRORS = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|CERT_|CRL_|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)/;

export class SslStatsRecorder {
  readonly stats: SslStats;

  constructor(private readonly scope: StatsScope) {
    this.stats = SSL_STATS.create(scope);
  }

  /** A completed handshake: Envoy's ContextImpl::logHandshake. */
  handshake(socket: tls.TLSSocket, client: boolean): void {
    this.stats.handshake.inc();
    if (socket.isSessionReused()) this.stats.session_reused.inc();
    const cipher = socket.getCipher()?.name;
    if (cipher) this.scope.counter(`ciphers.${cipher}`).inc();
    const version = socket.getProtocol();
    if (version) this.scope.counter(`versions.${version}`).inc();
    // node reports the key-exchange group on client sockets only.
    const curve = client ? (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name : undefined;
    if (curve) this.scope.counter(`curves.${curve === 'prime256v1' ? 'P-256' : curve}`).inc();
    if (!client && !socket.getPeerX509Certificate()) this.stats.no_certificate.inc();
  }

  verifyFailed(failure: VerifyFailure): void {
    this.stats[failure].inc();
  }

  /**
   * A handshake that failed inside OpenSSL. As in Envoy, a missing client certificate
   * and chain failures have their own counters; anything else is connection_error.
   */
  handshakeError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? '';
    if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') this.stats.fail_verify_no_cert.inc();
    else if (CHAIN_ERRORS.test(code)) this.stats.fail_verify_error.inc();
    else this.stats.connection_error.inc();
  }
}
