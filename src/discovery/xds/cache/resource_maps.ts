// Comparisons of per-type resource maps (name → CachedResource), remembered per pair
// of maps. Snapshots share maps (every gateway replica holds the same CDS map, a
// proxy's next snapshot keeps the maps that did not change), so the same pair is
// compared for many proxies in one push: the first comparison pays, the others are
// a WeakMap lookup. Entries go away with the maps.
import type { CachedResource } from './snapshot.js';

type ResourceMap = ReadonlyMap<string, CachedResource>;

class PairMemo {
  private readonly memo = new WeakMap<ResourceMap, WeakMap<ResourceMap, boolean>>();

  constructor(private readonly compare: (a: ResourceMap, b: ResourceMap) => boolean) {}

  get(a: ResourceMap, b: ResourceMap): boolean {
    if (a === b) return true;
    let inner = this.memo.get(a);
    if (!inner) this.memo.set(a, (inner = new WeakMap()));
    let answer = inner.get(b);
    if (answer === undefined) inner.set(b, (answer = this.compare(a, b)));
    return answer;
  }
}

const contentMemo = new PairMemo((a, b) => {
  if (a.size !== b.size) return false;
  for (const [name, r] of b) if (a.get(name)?.version !== r.version) return false;
  return true;
});

const namesMemo = new PairMemo((a, b) => {
  if (a.size !== b.size) return false;
  for (const name of b.keys()) if (!a.has(name)) return false;
  return true;
});

/** Same names with the same content versions (what a proxy would be sent is the same). */
export function sameContent(a: ResourceMap, b: ResourceMap): boolean {
  return contentMemo.get(a, b);
}

/** Same set of names, whatever their contents. */
export function sameNames(a: ResourceMap, b: ResourceMap): boolean {
  return namesMemo.get(a, b);
}

/**
 * A value computed from a tuple of maps, remembered while they live: snapshots built
 * from the very same maps (replicas of one gateway) get the same answer without
 * computing it again.
 */
export class MapTupleMemo<V> {
  private readonly root = new WeakMap<ResourceMap, unknown>();

  get(maps: readonly ResourceMap[], compute: () => V): V {
    let level = this.root as WeakMap<ResourceMap, unknown>;
    for (let i = 0; i < maps.length - 1; i++) {
      let next = level.get(maps[i]!) as WeakMap<ResourceMap, unknown> | undefined;
      if (!next) level.set(maps[i]!, (next = new WeakMap()));
      level = next;
    }
    const last = maps[maps.length - 1]!;
    if (level.has(last)) return level.get(last) as V;
    const value = compute();
    level.set(last, value);
    return value;
  }
}
