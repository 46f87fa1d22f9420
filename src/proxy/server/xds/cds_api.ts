// CDS: cluster resources from xDS become dynamic clusters. Each cluster is checked on
// its own: valid ones are added or updated (and warm), invalid ones keep their last
// good version and make the update a NACK naming them — Envoy's partial acceptance.
// An unchanged cluster is skipped, so a re-sent state of the world costs nothing.
import { CLUSTER_TYPE } from '../../../api/xds/resource_types.js';
import { logger } from '../../../common/logger.js';
import type { Cluster } from '../../upstream/cluster_info.js';
import type { DecodedResource, SubscriptionCallbacks, UpdateFailureReason } from '../../xds/types.js';
import type { ClusterRegistry } from '../cluster_registry.js';
import { sameConfig } from './same_config.js';
import { UpdateFailures } from './update_failures.js';

const log = logger('upstream');

export class CdsApi implements SubscriptionCallbacks {
  readonly failures = new UpdateFailures(CLUSTER_TYPE);
  /** version_info of the last update that was (at least partly) applied. */
  versionInfo = '';
  /** Resolves after the first update's clusters warmed, or the initial fetch gave up. */
  readonly initialized: Promise<void>;
  private markInitialized!: () => void;
  private first = true;

  constructor(private readonly clusters: ClusterRegistry) {
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
  }

  async onConfigUpdate(added: DecodedResource[], removed: string[], versionInfo: string): Promise<void> {
    const problems: string[] = [];
    const warmed: Promise<void>[] = [];
    for (const { name, resource } of added) {
      const config = resource as Cluster;
      const existing = this.clusters.active.get(name);
      if (existing && !existing.addedViaApi) {
        problems.push(`cluster '${name}': a static cluster cannot be updated over CDS`);
        continue;
      }
      if (sameConfig(this.clusters.current(name), config)) {
        this.failures.clear(name); // back to the good version: the rejected one is history
        continue;
      }
      try {
        warmed.push(this.clusters.add(config, `Cluster "${name}"`, { viaApi: true, versionInfo }).warmed);
        this.failures.clear(name);
      } catch (err) {
        const message = (err as Error).message;
        problems.push(message);
        this.failures.record(name, resource, message, versionInfo);
      }
    }
    for (const name of removed) {
      const existing = this.clusters.active.get(name);
      if (existing && !existing.addedViaApi) continue; // static clusters are not CDS's to remove
      if (await this.clusters.remove(name)) log.info(`cds: removed cluster '${name}'`);
    }
    this.versionInfo = versionInfo;
    log.info(`cds: add ${added.length} cluster(s), remove ${removed.length} cluster(s)${problems.length ? `, ${problems.length} rejected` : ''}`);
    if (this.first) {
      this.first = false;
      void Promise.allSettled(warmed).then(() => this.markInitialized());
    }
    if (problems.length) throw new Error(`Error adding/updating cluster(s) ${problems.join('; ')}`);
  }

  onConfigUpdateFailed(reason: UpdateFailureReason): void {
    // Without a first answer, initialization must not wait forever (initial_fetch_timeout).
    if (reason === 'FetchTimedOut') this.markInitialized();
  }
}
