// One subscription to one resource type (Envoy's GrpcSubscriptionImpl + its watch).
// It records what the manager behind it has been given, keeps that manager's
// subscription stats, and runs its initial_fetch_timeout. Which resources it gets is
// decided by its TypeState, which merges the interest of every watch of the type.
import { logger } from '../../common/logger.js';
import { StatsStore } from '../stats/store.js';
import { SUBSCRIPTION_STATS, versionHash, type SubscriptionStats } from './stats.js';
import type {
  DecodedResource,
  ResourceInterest,
  SubscribeOptions,
  Subscription,
  SubscriptionCallbacks,
  SubscriptionStatus,
  UpdateFailureReason,
  UpdateFailureState,
} from './types.js';

const log = logger('config');

/** What a watch needs from the type it belongs to. */
export interface WatchOwner {
  readonly typeUrl: string;
  interestChanged(watch: Watch): void;
  removeWatch(watch: Watch): void;
}

/** A parsed interest: the wildcard flag and the explicit names. */
export interface Interest {
  wildcard: boolean;
  names: ReadonlySet<string>;
}

export function parseInterest(interest: ResourceInterest): Interest {
  if (interest === '*') return { wildcard: true, names: new Set() };
  const names = new Set(interest);
  const wildcard = names.delete('*');
  return { wildcard, names };
}

export class Watch implements Subscription {
  interest: Interest;
  /** Names delivered to the callbacks and not removed since. */
  readonly known = new Set<string>();
  readonly stats: SubscriptionStats;
  versionInfo = '';
  lastUpdatedMs?: number;
  errorState?: UpdateFailureState;
  cancelled = false;
  private initFetchTimer?: NodeJS.Timeout;
  private initFetchPending: boolean;

  constructor(
    private readonly owner: WatchOwner,
    interest: ResourceInterest,
    readonly callbacks: SubscriptionCallbacks,
    private readonly options: SubscribeOptions = {},
  ) {
    this.interest = parseInterest(interest);
    // Without a scope the stats still exist, in a store nobody renders.
    this.stats = SUBSCRIPTION_STATS.create(options.stats ?? new StatsStore().scope(''));
    this.initFetchPending = (options.initialFetchTimeoutMs ?? 0) > 0;
  }

  get typeUrl(): string {
    return this.owner.typeUrl;
  }

  wants(name: string): boolean {
    return this.interest.wildcard || this.interest.names.has(name);
  }

  updateResourceInterest(names: readonly string[]): void {
    if (this.cancelled) return;
    this.interest = parseInterest(names);
    // Names dropped on purpose are forgotten, not reported as removed later.
    for (const name of [...this.known]) if (!this.wants(name)) this.known.delete(name);
    this.owner.interestChanged(this);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stopInitFetchTimer();
    this.owner.removeWatch(this);
  }

  status(): SubscriptionStatus {
    return {
      typeUrl: this.typeUrl,
      interest: this.interest.wildcard ? '*' : [...this.interest.names].sort(),
      versionInfo: this.versionInfo,
      lastUpdatedMs: this.lastUpdatedMs,
      errorState: this.errorState,
    };
  }

  /** Called once the mux runs (or at once, when it already does). */
  startInitFetchTimer(): void {
    if (!this.initFetchPending || this.initFetchTimer || this.cancelled) return;
    this.initFetchTimer = setTimeout(() => this.initFetchTimedOut(), this.options.initialFetchTimeoutMs);
    this.initFetchTimer.unref();
  }

  stopInitFetchTimer(): void {
    this.initFetchPending = false;
    if (this.initFetchTimer) clearTimeout(this.initFetchTimer);
    this.initFetchTimer = undefined;
  }

  private initFetchTimedOut(): void {
    this.initFetchTimer = undefined;
    this.initFetchPending = false;
    this.stats.init_fetch_timeout.inc();
    this.stats.update_attempt.inc();
    log.warn(`gRPC config: initial fetch timed out for ${this.typeUrl}`);
    this.notifyFailure('FetchTimedOut');
  }

  /** Names handed to the callbacks, applied or not. */
  offered(added: readonly DecodedResource[], removed: readonly string[]): void {
    for (const r of added) this.known.add(r.name);
    for (const name of removed) this.known.delete(name);
  }

  /** The callbacks applied an update. */
  applied(added: readonly DecodedResource[], removed: readonly string[], versionInfo: string, durationMs: number): void {
    this.stopInitFetchTimer();
    this.offered(added, removed);
    const now = Date.now();
    this.versionInfo = versionInfo;
    this.lastUpdatedMs = now;
    this.errorState = undefined;
    this.stats.update_attempt.inc();
    this.stats.update_success.inc();
    if (added.length === 0) this.stats.update_empty.inc();
    this.stats.update_time.set(now);
    this.stats.version.set(versionHash(versionInfo));
    this.stats.update_duration.record(durationMs);
  }

  rejected(error: Error, state: UpdateFailureState): void {
    this.stopInitFetchTimer();
    this.errorState = state;
    this.stats.update_attempt.inc();
    this.stats.update_rejected.inc();
    this.notifyFailure('UpdateRejected', error);
  }

  /** The stream failed; the last config stays and nothing is removed. */
  connectionFailed(error?: Error): void {
    this.stats.update_attempt.inc();
    this.stats.update_failure.inc();
    this.notifyFailure('ConnectionFailure', error);
  }

  private notifyFailure(reason: UpdateFailureReason, error?: Error): void {
    try {
      this.callbacks.onConfigUpdateFailed(reason, error);
    } catch (err) {
      log.error(`onConfigUpdateFailed(${reason}) for ${this.typeUrl} threw: ${(err as Error).message}`);
    }
  }
}
