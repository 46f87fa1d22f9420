// What one stream asked for, for one resource type: a set of names and/or the
// wildcard. SotW and delta express subscriptions differently (a full list per request
// versus subscribe/unsubscribe deltas) but end in this same value, so the cache
// matches resources one way for both protocols.
import { WILDCARD_TYPES } from '../../../api/xds/resource_types.js';

export const WILDCARD_NAME = '*';

export class Subscription {
  /**
   * A stable identity of (wildcard, names): equal keys, equal responses for one
   * snapshot. Computed once per subscription change, so per-push checks and the
   * encoded-response cache compare one string instead of two sets.
   */
  readonly key: string;

  private constructor(
    /** Every resource of the type, whatever `names` holds. */
    readonly wildcard: boolean,
    /** Explicitly named resources ('*' excluded). */
    readonly names: ReadonlySet<string>,
    /**
     * Envoy's legacy wildcard: a first request for LDS/CDS without names. It lasts
     * only while the client keeps sending no names; an explicit '*' does not need it.
     */
    readonly legacyWildcard: boolean,
    private readonly explicitWildcard: boolean,
  ) {
    this.key = wildcard ? WILDCARD_NAME : [...names].sort().join('\n');
  }

  /**
   * A SotW request's resource_names. `previous` is this stream's subscription for
   * the type, if any: legacy wildcard mode only starts on the first request (after
   * a named request, an empty list means "nothing", as the xDS protocol says).
   */
  static sotw(typeUrl: string, resourceNames: readonly string[], previous?: Subscription): Subscription {
    const explicit = resourceNames.includes(WILDCARD_NAME);
    const legacy = resourceNames.length === 0 && WILDCARD_TYPES.has(typeUrl) && (previous === undefined || previous.legacyWildcard);
    const names = new Set(resourceNames.filter((n) => n !== WILDCARD_NAME));
    // Every ACK repeats the list: keep the previous value (and its key) when nothing changed.
    if (previous && previous.explicitWildcard === explicit && previous.legacyWildcard === legacy && sameSet(previous.names, names)) return previous;
    return new Subscription(explicit || legacy, names, legacy, explicit);
  }

  /**
   * A delta request applied to `previous` (undefined on the stream's first request of
   * the type). '*' in subscribe/unsubscribe turns the explicit wildcard on/off; a
   * first request for LDS/CDS that subscribes nothing is the legacy wildcard, which
   * ends when the client later subscribes specific names.
   */
  static delta(typeUrl: string, subscribe: readonly string[], unsubscribe: readonly string[], previous?: Subscription): Subscription {
    if (previous && !subscribe.length && !unsubscribe.length) return previous;
    const names = new Set(previous?.names ?? []);
    for (const n of subscribe) if (n !== WILDCARD_NAME) names.add(n);
    for (const n of unsubscribe) if (n !== WILDCARD_NAME) names.delete(n);
    let explicit = previous?.explicitWildcard ?? false;
    if (subscribe.includes(WILDCARD_NAME)) explicit = true;
    if (unsubscribe.includes(WILDCARD_NAME)) explicit = false;
    const legacy =
      previous === undefined
        ? subscribe.length === 0 && WILDCARD_TYPES.has(typeUrl)
        : previous.legacyWildcard && !subscribe.some((n) => n !== WILDCARD_NAME) && !unsubscribe.includes(WILDCARD_NAME);
    return new Subscription(explicit || legacy, names, legacy, explicit);
  }

  /** Whether a resource of this name belongs to the subscription. */
  covers(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of b) if (!a.has(x)) return false;
  return true;
}
