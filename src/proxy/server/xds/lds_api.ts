// LDS: listener resources from xDS become dynamic listeners, with Envoy's partial
// acceptance (valid ones apply, invalid ones keep their last good version and NACK
// the update with their names). A listener that needs nothing it lacks is bound
// before the update is acknowledged, so a port that cannot be bound is a NACK too;
// one that waits for routes or secrets warms after the ACK, as in Envoy.
import { LISTENER_TYPE } from '../../../api/xds/resource_types.js';
import { logger } from '../../../common/logger.js';
import type { ListenerProto } from '../../listener/listener_config.js';
import type { DecodedResource, SubscriptionCallbacks, UpdateFailureReason } from '../../xds/types.js';
import type { ListenerRegistry } from '../listener_registry.js';
import { sameConfig } from './same_config.js';
import { UpdateFailures } from './update_failures.js';

const log = logger('config');

export class LdsApi implements SubscriptionCallbacks {
  readonly failures = new UpdateFailures(LISTENER_TYPE);
  versionInfo = '';
  readonly initialized: Promise<void>;
  private markInitialized!: () => void;
  private first = true;

  constructor(private readonly listeners: ListenerRegistry) {
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
  }

  async onConfigUpdate(added: DecodedResource[], removed: string[], versionInfo: string): Promise<void> {
    const problems: string[] = [];
    const activations: Array<{ name: string; resource: Record<string, unknown>; active: Promise<void> }> = [];
    const warming: Promise<void>[] = [];
    for (const { name, resource } of added) {
      const config = resource as ListenerProto;
      const existing = this.listeners.active.get(name);
      if (existing && !existing.addedViaApi) {
        problems.push(`listener '${name}': a static listener cannot be updated over LDS`);
        continue;
      }
      if (sameConfig(this.listeners.current(name), config)) {
        this.failures.clear(name); // back to the good version: the rejected one is history
        continue;
      }
      try {
        const result = this.listeners.add(config, `Listener "${name}"`, { viaApi: true, versionInfo });
        if (result.warming) warming.push(this.afterWarming(name, resource, result.active, versionInfo));
        else activations.push({ name, resource, active: result.active });
      } catch (err) {
        this.reject(name, resource, (err as Error).message, versionInfo, problems);
      }
    }
    for (const a of activations) {
      try {
        await a.active;
        this.failures.clear(a.name);
      } catch (err) {
        this.reject(a.name, a.resource, `error adding listener '${a.name}': ${(err as Error).message}`, versionInfo, problems);
      }
    }
    for (const name of removed) {
      const existing = this.listeners.active.get(name);
      if (existing && !existing.addedViaApi) continue;
      await this.listeners.remove(name);
    }
    this.versionInfo = versionInfo;
    if (this.first) {
      this.first = false;
      void Promise.allSettled(warming).then(() => this.markInitialized());
    }
    if (problems.length) throw new Error(problems.join('; '));
  }

  /** A warming listener is acknowledged already; if it cannot bind later, it only shows in error_state. */
  private async afterWarming(name: string, resource: Record<string, unknown>, active: Promise<void>, versionInfo: string): Promise<void> {
    try {
      await active;
      this.failures.clear(name);
    } catch (err) {
      const message = `error adding listener '${name}': ${(err as Error).message}`;
      log.error(message);
      this.failures.record(name, resource, message, versionInfo);
    }
  }

  private reject(name: string, resource: Record<string, unknown>, message: string, versionInfo: string, problems: string[]): void {
    problems.push(message);
    this.failures.record(name, resource, message, versionInfo);
  }

  onConfigUpdateFailed(reason: UpdateFailureReason): void {
    if (reason === 'FetchTimedOut') this.markInitialized();
  }
}
