// Named TLS secrets (envoy.extensions.transport_sockets.tls.v3.Secret) and who
// uses them. Three feeds write here: the bootstrap's static_resources.secrets,
// file-based SDS (`sds_config.path_config_source`, watched and re-read on change),
// and later xDS SDS, which calls update()/remove() as resources arrive. TLS contexts
// subscribe by SdsSecretConfig and rebuild when their secret changes.
import fs from 'node:fs';
import path from 'node:path';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { logger } from '../../common/logger.js';
import { watchFiles, type FileChangeSubscriber } from './file_watcher.js';
import { readSecretFile } from './secret_file.js';
import { WeakSubscribers } from './weak_subscribers.js';

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;
type SdsSecretConfig = envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;

const log = logger('secret');

export interface SecretSubscriber {
  onSecretChanged(): void;
}

export interface SecretEntry {
  name: string;
  /** "static", "file:/path/to/sds.yaml", or "ads"/"api" for xDS. */
  source: string;
  secret?: Secret;
  versionInfo?: string;
  lastUpdated?: Date;
}

/** A subscription's view of one secret; `current()` is undefined until it arrives. */
export interface SecretHandle {
  readonly name: string;
  readonly source: string;
  current(): Secret | undefined;
  close(): void;
}

interface Slot {
  entry: SecretEntry;
  subscribers: WeakSubscribers<SecretSubscriber>;
}

/** A watched SDS file: one per path, shared by every secret name read from it. */
class SecretFileSource implements FileChangeSubscriber {
  private readonly stopWatching: () => void;

  constructor(
    readonly file: string,
    private readonly manager: SecretManager,
  ) {
    this.stopWatching = watchFiles([file], [], this);
  }

  load(strict: boolean, configPath: string, span?: import('../../api/yaml/source.js').SourceSpan): void {
    let secrets: Secret[];
    try {
      secrets = readSecretFile(this.file);
    } catch (err) {
      if (strict) throw ConfigError.single(configPath, (err as Error).message, span);
      log.warn(`SDS file ${this.file}: keeping the previous secrets: ${(err as Error).message}`);
      return;
    }
    for (const s of secrets) this.manager.update(s.name ?? '', s, `file:${this.file}`, fileVersion(this.file));
  }

  onFilesChanged(): void {
    this.load(false, '');
  }

  close(): void {
    this.stopWatching();
  }
}

function fileVersion(file: string): string {
  try {
    return String(fs.statSync(file).mtimeMs);
  } catch {
    return '';
  }
}

export class SecretManager {
  private readonly slots = new Map<string, Slot>();
  private readonly files = new Map<string, SecretFileSource>();

  private key(name: string, source: string): string {
    // Static and xDS secrets share one namespace by name (as Envoy's SDS names do);
    // a file-sourced secret is scoped to its file.
    return source.startsWith('file:') ? `${source}#${name}` : name;
  }

  private slot(name: string, source: string): Slot {
    const key = this.key(name, source);
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { entry: { name, source }, subscribers: new WeakSubscribers() }));
    return slot;
  }

  /** Adds the bootstrap's static secrets; a duplicate name is a config error, as in Envoy. */
  addStatic(secrets: Secret[] | undefined, path = 'static_resources.secrets'): void {
    (secrets ?? []).forEach((s, i) => {
      const name = s.name ?? '';
      if (this.slots.get(name)?.entry.secret) {
        throw ConfigError.single(`${path}[${i}].name`, `Duplicate static TlsCertificate secret name ${name}`, spanOf(s));
      }
      this.update(name, s, 'static');
    });
  }

  /** Sets (or replaces) a secret and tells its subscribers. xDS SDS calls this per resource. */
  update(name: string, secret: Secret, source = 'ads', versionInfo?: string): void {
    const slot = this.slot(name, source);
    if (slot.entry.secret && JSON.stringify(slot.entry.secret) === JSON.stringify(secret)) return;
    slot.entry = { name, source, secret, versionInfo, lastUpdated: new Date() };
    log.debug(`secret ${name} updated from ${source}`);
    for (const s of slot.subscribers.live()) s.onSecretChanged();
  }

  /** Removes a dynamic secret (xDS removal); contexts using it keep their last material. */
  remove(name: string, source = 'ads'): void {
    const slot = this.slots.get(this.key(name, source));
    if (slot) slot.entry = { name, source };
  }

  get(name: string, source = 'static'): Secret | undefined {
    return this.slots.get(this.key(name, source))?.entry.secret;
  }

  /** Every known secret (for config_dump's secrets section; callers redact keys). */
  entries(): SecretEntry[] {
    return [...this.slots.values()].map((s) => s.entry).filter((e) => e.secret);
  }

  /**
   * Subscribes to the secret an SdsSecretConfig names. No sds_config: a static secret
   * (must exist). `path`/`path_config_source`: a watched file, read now (errors are
   * config errors). `ads`/`api_config_source`: delivered later over xDS.
   */
  subscribe(config: SdsSecretConfig, at: string, subscriber: SecretSubscriber): SecretHandle {
    const name = config.name ?? '';
    const source = this.sourceOf(config, at);
    if (source === 'static' && !this.slots.get(name)?.entry.secret) {
      throw ConfigError.single(`${at}.name`, `Unknown static secret: ${name}`, spanOf(config));
    }
    const slot = this.slot(name, source);
    if (source.startsWith('file:') && !slot.entry.secret) {
      throw ConfigError.single(`${at}.name`, `SDS file ${source.slice(5)} holds no secret named ${name}`, spanOf(config));
    }
    const remove = slot.subscribers.add(subscriber);
    return { name, source, current: () => slot.entry.secret, close: remove };
  }

  private sourceOf(config: SdsSecretConfig, at: string): string {
    const sds = config.sds_config;
    if (!sds) return 'static';
    const file = sds.path_config_source?.path ?? sds.path;
    if (file !== undefined) {
      const abs = path.resolve(file);
      if (!this.files.has(abs)) {
        const source = new SecretFileSource(abs, this);
        try {
          source.load(true, `${at}.sds_config`, spanOf(sds));
        } catch (err) {
          source.close();
          throw err;
        }
        this.files.set(abs, source);
      }
      return `file:${abs}`;
    }
    return sds.ads ? 'ads' : 'api';
  }

  /** Stops watching SDS files (server shutdown). */
  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}

/** The process-wide manager, until the server's factory context carries one. */
export const defaultSecretManager = new SecretManager();
