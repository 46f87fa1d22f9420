// The certificates, keys and trust bundle one CommonTlsContext names, kept current.
// They come inline, from files, or from SDS secrets; files (including the ones an
// SDS secret points at) and secrets are watched, and a change re-reads everything
// and tells the owner, which builds new SecureContexts for new handshakes while
// established connections keep the ones they started with.
// A bad update is logged and ignored (the last good material stays), as in Envoy.
import type { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { mergeMessages } from '../../api/json/merge.js';
import { spanOf } from '../../api/json/spans.js';
import { logger } from '../../common/logger.js';
import { readDataSource, readDataSourceBytes } from '../common/data_source.js';
import { parsePemCertificates } from './cert_info.js';
import { watchFiles, type FileChangeSubscriber } from './file_watcher.js';
import type { SecretHandle, SecretManager, SecretSubscriber } from './secret_manager.js';

type CommonTlsContext = envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
type TlsCertificate = envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
type ValidationContext = envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
type DataSource = envoy.config.core.v3.DataSource;

const log = logger('secret');
const INLINE = '<inline>';

export interface CertificateMaterial {
  /** Where the chain came from, for /certs: the filename or "<inline>". */
  path: string;
  /** The chain as presented, leaf first. */
  chain: X509Certificate[];
  /** Options for tls.createSecureContext (cert/key or pfx). Never log these. */
  secure: Pick<tls.SecureContextOptions, 'cert' | 'key' | 'pfx' | 'passphrase'>;
}

export interface ValidationMaterial {
  config: ValidationContext;
  caPath?: string;
  ca: X509Certificate[];
  caPem?: string;
  /** One PEM block per CRL: node reads only the first CRL of each string. */
  crlPem?: string[];
}

/** Files a DataSource reads, and directories to watch for it. */
class Reads {
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  text(ds: DataSource, path: string): string {
    if (ds.filename !== undefined) this.files.add(ds.filename);
    if (ds.watched_directory?.path) this.dirs.add(ds.watched_directory.path);
    return readDataSource(ds, path);
  }
  bytes(ds: DataSource, path: string): Buffer {
    if (ds.filename !== undefined) this.files.add(ds.filename);
    return readDataSourceBytes(ds, path);
  }
}

function sourcePath(ds: DataSource | undefined): string {
  return ds?.filename ?? INLINE;
}

function readCertificate(tc: TlsCertificate, path: string, reads: Reads): CertificateMaterial {
  if (tc.watched_directory?.path) reads.dirs.add(tc.watched_directory.path);
  if (tc.private_key_provider) throw ConfigError.single(`${path}.private_key_provider`, 'private key providers are not supported by skein', spanOf(tc));
  const passphrase = tc.password ? reads.text(tc.password, `${path}.password`) : undefined;
  let secure: CertificateMaterial['secure'];
  let chainPem: string;
  if (tc.pkcs12) {
    const pfx = reads.bytes(tc.pkcs12, `${path}.pkcs12`);
    secure = { pfx, passphrase };
    chainPem = '';
  } else {
    if (!tc.certificate_chain) throw ConfigError.single(path, 'a TlsCertificate needs certificate_chain and private_key (or pkcs12)', spanOf(tc));
    if (!tc.private_key) throw ConfigError.single(`${path}.private_key`, 'a TlsCertificate needs a private_key', spanOf(tc));
    chainPem = reads.text(tc.certificate_chain, `${path}.certificate_chain`);
    secure = { cert: chainPem, key: reads.text(tc.private_key, `${path}.private_key`), passphrase };
  }
  let chain: X509Certificate[] = [];
  try {
    if (chainPem) chain = parsePemCertificates(chainPem);
  } catch (err) {
    throw ConfigError.single(`${path}.certificate_chain`, `Failed to load certificate chain from ${sourcePath(tc.certificate_chain)}: ${(err as Error).message}`, spanOf(tc));
  }
  try {
    // Loads cert + key together: catches a bad key, a wrong password or a key/cert mismatch now.
    tls.createSecureContext(secure);
  } catch (err) {
    const from = tc.pkcs12 ? `pkcs12 from ${sourcePath(tc.pkcs12)}` : `private key from ${sourcePath(tc.private_key)}`;
    throw ConfigError.single(`${path}.${tc.pkcs12 ? 'pkcs12' : 'private_key'}`, `Failed to load ${from}: ${opensslReason(err)}`, spanOf(tc));
  }
  return { path: tc.pkcs12 ? sourcePath(tc.pkcs12) : sourcePath(tc.certificate_chain), chain, secure };
}

/** OpenSSL's reason text only: node errors never carry key bytes, but keep it to one line. */
function opensslReason(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0]!;
}

/** Fields that would make validation stricter in Envoy: refused, never silently skipped. */
const UNSUPPORTED_VALIDATION = ['custom_validator_config', 'ca_certificate_provider_instance', 'max_verify_depth'] as const;

function readValidation(vc: ValidationContext, path: string, reads: Reads): ValidationMaterial {
  for (const f of UNSUPPORTED_VALIDATION) {
    if (vc[f] !== undefined) throw ConfigError.single(`${path}.${f}`, `${f} is not supported by skein`, spanOf(vc));
  }
  if (vc.require_signed_certificate_timestamp?.value) {
    throw ConfigError.single(`${path}.require_signed_certificate_timestamp`, 'signed certificate timestamps are not supported by skein', spanOf(vc));
  }
  if (vc.watched_directory?.path) reads.dirs.add(vc.watched_directory.path);
  const out: ValidationMaterial = { config: vc, ca: [] };
  if (vc.trusted_ca) {
    out.caPath = sourcePath(vc.trusted_ca);
    out.caPem = reads.text(vc.trusted_ca, `${path}.trusted_ca`);
    try {
      out.ca = parsePemCertificates(out.caPem);
    } catch (err) {
      throw ConfigError.single(`${path}.trusted_ca`, `Failed to load trusted CA certificates from ${out.caPath}: ${(err as Error).message}`, spanOf(vc));
    }
  }
  if (vc.crl) {
    out.crlPem = reads.text(vc.crl, `${path}.crl`).match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? [];
    if (!out.crlPem.length) throw ConfigError.single(`${path}.crl`, `Failed to load CRL from ${sourcePath(vc.crl)}: no CRL found in PEM data`, spanOf(vc));
  }
  if (vc.system_root_certs && !vc.trusted_ca) {
    out.caPath = '<system>';
    out.caPem = tls.rootCertificates.join('\n');
  }
  return out;
}

export class TlsMaterial implements FileChangeSubscriber, SecretSubscriber {
  certificates: CertificateMaterial[] = [];
  validation?: ValidationMaterial;
  /** False while an SDS secret it needs has not arrived. */
  ready = false;
  /** Set by the owner: called after the material changed. */
  onChange?: () => void;
  private readonly certSecrets: SecretHandle[] = [];
  private validationSecret?: SecretHandle;
  private stopWatching?: () => void;
  private fingerprint = '';

  constructor(
    private readonly common: CommonTlsContext,
    private readonly path: string,
    secrets: SecretManager,
  ) {
    for (const p of ['tls_certificate_provider_instance', 'tls_certificate_certificate_provider', 'tls_certificate_certificate_provider_instance', 'custom_handshaker'] as const) {
      if (common[p]) throw ConfigError.single(`${path}.${p}`, `${p} is not supported by skein`, spanOf(common));
    }
    (common.tls_certificate_sds_secret_configs ?? []).forEach((c, i) => {
      this.certSecrets.push(secrets.subscribe(c, `${path}.tls_certificate_sds_secret_configs[${i}]`, this));
    });
    const sdsValidation = common.validation_context_sds_secret_config ?? common.combined_validation_context?.validation_context_sds_secret_config;
    if (sdsValidation) {
      const at = common.validation_context_sds_secret_config ? 'validation_context_sds_secret_config' : 'combined_validation_context.validation_context_sds_secret_config';
      this.validationSecret = secrets.subscribe(sdsValidation, `${path}.${at}`, this);
    }
    this.reload(true);
  }

  private resolve(): { certificates: CertificateMaterial[]; validation?: ValidationMaterial; ready: boolean; reads: Reads } {
    const reads = new Reads();
    const path = this.path;
    const certificates = (this.common.tls_certificates ?? []).map((tc, i) => readCertificate(tc, `${path}.tls_certificates[${i}]`, reads));
    let ready = true;
    this.certSecrets.forEach((h, i) => {
      const tc = h.current()?.tls_certificate;
      if (!tc) ready = false;
      else certificates.push(readCertificate(tc, `${path}.tls_certificate_sds_secret_configs[${i}] (secret ${h.name})`, reads));
    });
    let vc = this.common.validation_context ?? this.common.combined_validation_context?.default_validation_context;
    if (this.validationSecret) {
      const dynamic = this.validationSecret.current()?.validation_context;
      if (!dynamic) ready = false;
      // Envoy merges the SDS context over the default one (protobuf MergeFrom).
      else vc = vc ? mergeMessages(vc as Record<string, unknown>, dynamic as Record<string, unknown>, 'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext') : dynamic;
    }
    const validation = vc ? readValidation(vc, `${path}.validation_context`, reads) : undefined;
    return { certificates, validation, ready, reads };
  }

  /** Re-reads everything; `strict` (construction) throws ConfigError, later failures keep the old material. */
  private reload(strict: boolean): void {
    let next: ReturnType<TlsMaterial['resolve']>;
    try {
      next = this.resolve();
    } catch (err) {
      if (strict) throw err;
      log.warn(`${this.path}: keeping the previous certificates: ${(err as Error).message}`);
      return;
    }
    this.stopWatching?.();
    this.stopWatching = watchFiles(next.reads.files, next.reads.dirs, this);
    const fingerprint = [
      ...next.certificates.map((c) => `${c.path}|${c.chain.map((x) => x.fingerprint256).join(',')}|${String(c.secure.key ?? '').length}|${c.secure.pfx?.length ?? 0}`),
      next.validation ? `${next.validation.caPem ?? ''}|${next.validation.crlPem?.join('') ?? ''}|${JSON.stringify(next.validation.config)}` : '',
      String(next.ready),
    ].join('\n');
    const keyChanged = next.certificates.some((c, i) => c.secure.key !== this.certificates[i]?.secure.key);
    if (!strict && fingerprint === this.fingerprint && !keyChanged) return;
    this.fingerprint = fingerprint;
    this.certificates = next.certificates;
    this.validation = next.validation;
    this.ready = next.ready;
    if (!strict) {
      log.info(`${this.path}: certificates reloaded`);
      this.onChange?.();
    }
  }

  onFilesChanged(): void {
    this.reload(false);
  }

  onSecretChanged(): void {
    this.reload(false);
  }

  close(): void {
    this.stopWatching?.();
    for (const h of this.certSecrets) h.close();
    this.validationSecret?.close();
  }
}

/**
 * Checks a secret delivered over SDS the way a TLS context will load it (certificate
 * and key together, CA bundle), so a broken one is NACKed instead of installed.
 */
export function checkSecret(secret: envoy.extensions.transport_sockets.tls.v3.Secret, path: string): void {
  const reads = new Reads();
  if (secret.tls_certificate) readCertificate(secret.tls_certificate, `${path}.tls_certificate`, reads);
  if (secret.validation_context) readValidation(secret.validation_context, `${path}.validation_context`, reads);
  if (secret.session_ticket_keys || secret.generic_secret) {
    throw ConfigError.single(path, 'only tls_certificate and validation_context secrets are supported by skein', spanOf(secret));
  }
}
