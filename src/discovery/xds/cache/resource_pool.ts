// Sharing packed resources between the snapshots of many proxies. Most of what a
// control plane sends is the same for many proxies (a service's cluster and endpoints,
// every gateway replica's whole config), and packing a resource (validating it,
// encoding it as an Any, hashing the bytes) costs far more than building it. The pool
// packs each distinct resource once per generation (one push) and hands every proxy
// the same CachedResource; per-type maps with the same contents are shared the same way.
//
// Resources are recognised by identity first (a producer that memoizes hands out the
// same object again), then by content: a hash of their JSON text. A resource a proxy
// already had, unchanged, is taken from its previous snapshot, so content that did not
// change keeps its encoded form (and its delta chunk) from push to push without the
// pool itself holding anything beyond the current push.
import { createHash } from 'node:crypto';
import { resourceName, type XdsTypeUrl } from '../../../api/xds/resource_types.js';
import { packResource, resourceMap, type CachedResource } from './snapshot.js';

/** Turns a producer's resource into the in-memory message that is packed (e.g. proto3 JSON → decoded and validated). */
export type PrepareResource = (typeUrl: XdsTypeUrl, source: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>>;

type Source = Readonly<Record<string, unknown>>;
type ResourceMap = ReadonlyMap<string, CachedResource>;

/** The content key each pooled resource was made from (to recognise it in a later push). */
const contentKeys = new WeakMap<CachedResource, string>();

export class ResourcePool {
  private byObject = new WeakMap<object, CachedResource>();
  private byContent = new Map<string, CachedResource>();
  private maps = new Map<string, ResourceMap>();
  /** Packed in this generation (a measure of how much sharing saved, for tests and logs). */
  packed = 0;

  constructor(private readonly prepare: PrepareResource = (_t, source) => source) {}

  /** Starts a generation (a push): what was pooled before is no longer handed out. */
  nextGeneration(): void {
    this.byObject = new WeakMap();
    this.byContent = new Map();
    this.maps = new Map();
    this.packed = 0;
  }

  /**
   * The packed form of `source`. `before` is the proxy's previous map of this type:
   * a resource there with the same content is reused rather than packed again.
   * Throws what `prepare` or packing throws (a resource that does not validate).
   */
  resource(typeUrl: XdsTypeUrl, source: Source, before?: ResourceMap): CachedResource {
    const same = this.byObject.get(source);
    if (same) return same;
    const key = contentKey(typeUrl, source);
    let r = this.byContent.get(key);
    if (!r) {
      const old = before?.get(resourceName(typeUrl, source));
      if (old && contentKeys.get(old) === key) r = old;
      else {
        r = packResource(typeUrl, this.prepare(typeUrl, source), { keepMessage: false });
        contentKeys.set(r, key);
        this.packed++;
      }
      this.byContent.set(key, r);
    }
    this.byObject.set(source, r);
    return r;
  }

  /**
   * The name → resource map of `resources` (in their order), the same map object for
   * every caller with the same resources in this generation. `before` (the proxy's
   * previous map of the type) is that object when its contents are the same, so maps
   * shared in the last push stay shared. Throws SnapshotError for two resources of one name.
   */
  map(typeUrl: XdsTypeUrl, resources: readonly CachedResource[], before?: ResourceMap): ResourceMap {
    // A version hashes the resource's bytes, name included: the versions in order say it all.
    let signature = typeUrl;
    for (const r of resources) signature += r.version;
    let map = this.maps.get(signature);
    if (!map) {
      map = before && sameEntries(before, resources) ? before : resourceMap(typeUrl, resources);
      this.maps.set(signature, map);
    }
    return map;
  }
}

function sameEntries(map: ResourceMap, resources: readonly CachedResource[]): boolean {
  if (map.size !== resources.length) return false;
  let i = 0;
  for (const r of map.values()) if (r !== resources[i++]) return false;
  return true;
}

function contentKey(typeUrl: string, source: Source): string {
  return createHash('sha256').update(typeUrl).update('\u0000').update(JSON.stringify(source)).digest('base64url');
}
