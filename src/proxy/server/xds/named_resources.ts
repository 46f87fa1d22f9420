// Resources other config waits for by name — RDS route configurations and SDS
// secrets. Listeners and clusters acquire the names they refer to; the first user of
// a name opens its subscription, the last one to let go cancels it (Envoy shares one
// RDS/SDS subscription per name the same way). `acquire` resolves once every name
// has arrived or its initial_fetch_timeout passed: that is what warming waits for.
import { logger } from '../../../common/logger.js';
import type { ResourceRef } from '../../../api/xds/references.js';
import type { XdsSubscriber } from '../../xds/subscriber.js';
import { UpdateFailures } from './update_failures.js';
import type { DecodedResource, Subscription, UpdateFailureReason } from '../../xds/types.js';

const log = logger('config');

export type NamedResourceRef = ResourceRef;

export interface NamedResourceHooks<T> {
  /** Checks a delivered resource; throws to NACK it. */
  validate(name: string, resource: Record<string, unknown>): T;
  /** Hands an accepted resource (or its removal) to the data plane. */
  install(name: string, value: T | undefined, versionInfo: string): Promise<void>;
}

export interface NamedResourceEntry<T> {
  name: string;
  value?: T;
  versionInfo?: string;
  lastUpdated?: Date;
  readonly owners: Set<string>;
  ready: Promise<void>;
}

interface Slot<T> extends NamedResourceEntry<T> {
  subscription?: Subscription;
  markReady: () => void;
}

export class NamedResources<T> {
  private readonly slots = new Map<string, Slot<T>>();
  readonly failures: UpdateFailures;

  constructor(
    private readonly typeUrl: string,
    private readonly label: string,
    private readonly xds: () => XdsSubscriber,
    private readonly hooks: NamedResourceHooks<T>,
  ) {
    this.failures = new UpdateFailures(typeUrl);
  }

  /**
   * Takes a reference on each name for `owner`. Throws (ConfigError) when a
   * reference's config source is unusable; resolves when all names are ready.
   */
  acquire(owner: string, refs: readonly NamedResourceRef[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const ref of refs) {
      let slot = this.slots.get(ref.name);
      if (!slot) slot = this.open(ref);
      slot.owners.add(owner);
      waits.push(slot.ready);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Drops `owner`'s references; names nobody uses any more are unsubscribed. */
  release(owner: string): void {
    for (const [name, slot] of this.slots) {
      if (!slot.owners.delete(owner) || slot.owners.size > 0) continue;
      slot.subscription?.cancel();
      this.slots.delete(name);
      log.debug(`${this.label} '${name}': no longer used, unsubscribed`);
    }
  }

  entries(): NamedResourceEntry<T>[] {
    return [...this.slots.values()];
  }

  get(name: string): NamedResourceEntry<T> | undefined {
    return this.slots.get(name);
  }

  close(): void {
    for (const slot of this.slots.values()) slot.subscription?.cancel();
    this.slots.clear();
  }

  private open(ref: NamedResourceRef): Slot<T> {
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const slot: Slot<T> = { name: ref.name, owners: new Set(), ready, markReady };
    slot.subscription = this.xds().subscribe({
      source: ref.source,
      at: ref.at,
      typeUrl: this.typeUrl,
      names: [ref.name],
      statsPrefix: ref.statsPrefix,
      callbacks: {
        onConfigUpdate: (added, removed, versionInfo) => this.onUpdate(slot, added, removed, versionInfo),
        onConfigUpdateFailed: (reason) => this.onFailed(slot, reason),
      },
    });
    this.slots.set(ref.name, slot);
    return slot;
  }

  private async onUpdate(slot: Slot<T>, added: DecodedResource[], removed: string[], versionInfo: string): Promise<void> {
    const mine = added.find((r) => r.name === slot.name);
    if (mine) {
      let value: T;
      try {
        value = this.hooks.validate(slot.name, mine.resource);
      } catch (err) {
        // NACK: the last good value stays; config_dump shows why in error_state.
        this.failures.record(slot.name, mine.resource, (err as Error).message, versionInfo);
        throw err;
      }
      await this.hooks.install(slot.name, value, versionInfo);
      this.failures.clear(slot.name);
      Object.assign(slot, { value, versionInfo, lastUpdated: new Date() });
    } else if (removed.includes(slot.name)) {
      await this.hooks.install(slot.name, undefined, versionInfo);
      Object.assign(slot, { value: undefined, versionInfo, lastUpdated: new Date() });
    }
    slot.markReady();
  }

  private onFailed(slot: Slot<T>, reason: UpdateFailureReason): void {
    if (reason !== 'FetchTimedOut') return;
    log.warn(`${this.label} '${slot.name}': not received within initial_fetch_timeout; continuing without it`);
    slot.markReady();
  }
}
