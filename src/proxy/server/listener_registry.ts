// The main process's listeners: static ones from the bootstrap and dynamic ones from
// LDS. A new or changed listener warms first — the route configurations (RDS) and
// secrets (SDS) it names arrive or time out — while the version it replaces keeps
// serving; then every data plane switches to it, and connections of the old version
// drain for --drain-time-s.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { routeRefsOfListener, secretRefsOfListener } from '../../api/xds/references.js';
import { logger } from '../../common/logger.js';
import type { ListenerProto } from '../listener/listener_config.js';
import type { StatsOf } from '../stats/declare.js';
import type { RouteConfiguration } from './route_configs.js';
import type { LISTENER_MANAGER_STATS } from './server_stats.js';
import type { Workers } from './workers.js';
import type { NamedResources } from './xds/named_resources.js';

const log = logger('config');

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;

export interface ListenerEntry {
  config: ListenerProto;
  path: string;
  addedViaApi: boolean;
  /** LDS version_info the listener arrived with. */
  versionInfo?: string;
  lastUpdated: Date;
  /** The reference this version holds on its RDS routes and SDS secrets. */
  refOwner: string;
}

export interface ListenerRegistryDeps {
  stats: StatsOf<typeof LISTENER_MANAGER_STATS>;
  workers(): Workers;
  routes: NamedResources<RouteConfiguration>;
  secrets: NamedResources<Secret>;
  /** Builds the listener without binding it (filter chains, TLS, filters); throws ConfigError. */
  check(config: ListenerProto, path: string): void;
  drainMs(): number;
}

export interface AddedListener {
  /** Resolves when the listener serves in every data plane; rejects if binding failed. */
  active: Promise<void>;
  /** False when everything it refers to was already there (it activates at once). */
  warming: boolean;
}

export class ListenerRegistry {
  readonly active = new Map<string, ListenerEntry>();
  readonly warming = new Map<string, ListenerEntry>();
  private generation = 0;
  private readonly abandoners = new Map<ListenerEntry, () => void>();

  constructor(private readonly deps: ListenerRegistryDeps) {}

  current(name: string): ListenerProto | undefined {
    return (this.warming.get(name) ?? this.active.get(name))?.config;
  }

  add(config: ListenerProto, path: string, options: { viaApi: boolean; versionInfo?: string }): AddedListener {
    const name = config.name ?? '';
    this.checkAddress(config, path);
    this.deps.check(config, path);
    const refOwner = `listener/${name}/${++this.generation}`;
    const entry: ListenerEntry = { config, path, addedViaApi: options.viaApi, versionInfo: options.versionInfo, lastUpdated: new Date(), refOwner };
    let ready: Promise<unknown>;
    try {
      ready = Promise.all([
        this.deps.routes.acquire(refOwner, routeRefsOfListener(config, path)),
        this.deps.secrets.acquire(refOwner, secretRefsOfListener(config, path)),
      ]);
    } catch (err) {
      this.release(refOwner);
      throw err;
    }
    const warming = [...routeRefsOfListener(config, path).map((r) => this.deps.routes.get(r.name)), ...secretRefsOfListener(config, path).map((r) => this.deps.secrets.get(r.name))].some(
      (slot) => slot?.lastUpdated === undefined,
    );
    this.abandonWarming(name);
    this.warming.set(name, entry);
    this.updateGauges();
    return { active: this.warm(entry, ready), warming };
  }

  private async warm(entry: ListenerEntry, ready: Promise<unknown>): Promise<void> {
    const name = entry.config.name ?? '';
    const abandoned = new Promise<void>((resolve) => this.abandoners.set(entry, resolve));
    await Promise.race([ready, abandoned]);
    this.abandoners.delete(entry);
    if (this.warming.get(name) !== entry) {
      this.release(entry.refOwner);
      return;
    }
    this.warming.delete(name);
    try {
      await this.deps.workers().addOrUpdateListener(entry.config, entry.path, this.deps.drainMs());
    } catch (err) {
      this.deps.stats.listener_create_failure.inc();
      this.release(entry.refOwner);
      this.updateGauges();
      throw err;
    }
    const previous = this.active.get(name);
    this.active.set(name, entry);
    if (previous) this.release(previous.refOwner);
    if (previous) this.deps.stats.listener_modified.inc();
    else this.deps.stats.listener_added.inc();
    this.deps.stats.listener_create_success.inc();
    this.updateGauges();
    log.info(`listener '${name}' ${previous ? 'updated' : 'added'}${entry.versionInfo !== undefined ? ` (version ${entry.versionInfo})` : ''}`);
  }

  /** Removes a dynamic listener; its connections drain for --drain-time-s. */
  async remove(name: string): Promise<boolean> {
    const warming = this.abandonWarming(name);
    const entry = this.active.get(name);
    if (!entry || !entry.addedViaApi) {
      this.updateGauges();
      return warming !== undefined;
    }
    this.active.delete(name);
    await this.deps.workers().removeListener(name, this.deps.drainMs());
    this.release(entry.refOwner);
    this.deps.stats.listener_removed.inc();
    this.updateGauges();
    log.info(`listener '${name}' removed`);
    return true;
  }

  stop(): void {
    for (const name of [...this.warming.keys()]) this.abandonWarming(name);
  }

  /** Envoy refuses two listeners (by name) on one address:port. */
  private checkAddress(config: ListenerProto, path: string): void {
    const sock = config.address?.socket_address;
    if (!sock?.port_value) return;
    const key = JSON.stringify(config.address);
    for (const other of [...this.active.values(), ...this.warming.values()]) {
      if (other.config.name === config.name || JSON.stringify(other.config.address) !== key) continue;
      throw ConfigError.single(`${path}.address`, `error adding listener '${config.name}': has duplicate address '${sock.address}:${sock.port_value}' as existing listener '${other.config.name}'`, spanOf(config));
    }
  }

  private abandonWarming(name: string): ListenerEntry | undefined {
    const warming = this.warming.get(name);
    if (!warming) return undefined;
    this.warming.delete(name);
    this.abandoners.get(warming)?.();
    return warming;
  }

  private release(owner: string): void {
    this.deps.routes.release(owner);
    this.deps.secrets.release(owner);
  }

  private updateGauges(): void {
    this.deps.stats.total_listeners_active.set(this.active.size);
    this.deps.stats.total_listeners_warming.set(this.warming.size);
  }
}
