// An immutable, versioned set of xDS resources for one node (or group of nodes).
// Producers (the file-driven server, the discovery server's publisher) build
// snapshots; the xDS server only reads them. Each resource is encoded once and carries
// a content version (a hash of its bytes) so delta xDS can tell what changed and SotW
// pushes never re-encode per proxy.
//
// Snapshots share freely: a CachedResource, or a whole per-type map of them, may sit in
// the snapshots of many proxies (fromCached). Nothing here mutates a map it was given.
import { createHash } from 'node:crypto';
import { packAny, unpackAny } from '../../../api/proto/binary.js';
import {
  ADS_PUSH_ORDER,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  CLUSTER_TYPE,
  ROUTE_TYPE,
  SECRET_TYPE,
  referencesOf,
  resourceName,
  SHORT_NAME,
  type ResourceReferences,
  type XdsTypeUrl,
} from '../../../api/xds/resource_types.js';
import { MapTupleMemo, sameContent, sameNames } from './resource_maps.js';

export interface CachedResource {
  readonly name: string;
  /** Content version: equal bytes, equal version (delta xDS resource version). */
  readonly version: string;
  /** The in-memory message (as from YAML), without '@type'. */
  readonly resource: Readonly<Record<string, unknown>>;
  /** The resource packed as a google.protobuf.Any, ready for a DiscoveryResponse. */
  readonly any: { readonly type_url: string; readonly value: Uint8Array };
  /** What it refers to (referencesOf), when worked out at packing; else read from `resource`. */
  readonly references?: ResourceReferences;
}

export type ResourcesByType = Partial<Record<XdsTypeUrl, readonly Record<string, unknown>[]>>;

/** Packed resources by type, each map keyed by resource name (see resourceMap). */
export type CachedResourcesByType = Partial<Record<XdsTypeUrl, ReadonlyMap<string, CachedResource>>>;

export class SnapshotError extends Error {}

const EMPTY: ReadonlyMap<string, CachedResource> = new Map();

/** Dangling references by the maps they were found in: snapshots sharing all their maps are checked once. */
const checked = new MapTupleMemo<readonly string[]>();

const NO_REFERENCES: ResourceReferences = Object.freeze({ routes: [], endpoints: [], secrets: [] }) as unknown as ResourceReferences;

/**
 * Packs one in-memory message of `typeUrl` (any '@type' in it is ignored): encoded and
 * hashed, once. With `keepMessage: false` the message is not kept: `resource` is
 * decoded again from the bytes when read (only debugging does; the consistency check
 * uses the references worked out here). The decoded form of a large route table
 * takes several times the memory of its bytes, and a server holds thousands.
 */
export function packResource(typeUrl: XdsTypeUrl, message: Readonly<Record<string, unknown>>, options: { keepMessage?: boolean } = {}): CachedResource {
  const name = resourceName(typeUrl, message);
  if (!name) throw new SnapshotError(`${SHORT_NAME[typeUrl]} resource without a name`);
  const { '@type': _ignored, ...fields } = message;
  const any = packAny({ '@type': typeUrl, ...fields });
  const version = createHash('sha256').update(any.value).digest('base64url').slice(0, 16);
  if (options.keepMessage !== false) return { name, version, resource: fields, any };
  const refs = referencesOf(typeUrl, fields);
  const references = refs.routes.length || refs.endpoints.length || refs.secrets.length ? refs : NO_REFERENCES;
  return new BytesOnlyResource(name, version, any, references);
}

class BytesOnlyResource implements CachedResource {
  constructor(
    readonly name: string,
    readonly version: string,
    readonly any: { readonly type_url: string; readonly value: Uint8Array },
    readonly references: ResourceReferences,
  ) {}

  get resource(): Readonly<Record<string, unknown>> {
    const { '@type': _t, ...fields } = unpackAny(this.any);
    return fields;
  }
}

/** The name → resource map a snapshot holds for one type; refuses two resources of one name. */
export function resourceMap(typeUrl: XdsTypeUrl, resources: Iterable<CachedResource>): Map<string, CachedResource> {
  const entries = new Map<string, CachedResource>();
  for (const r of resources) {
    if (entries.has(r.name)) throw new SnapshotError(`${SHORT_NAME[typeUrl]} resource "${r.name}" appears twice`);
    entries.set(r.name, r);
  }
  return entries;
}

export class Snapshot {
  /** consistencyErrors(), once computed (a snapshot never changes). */
  private errors: readonly string[] | undefined;

  private constructor(
    private readonly byType: ReadonlyMap<string, ReadonlyMap<string, CachedResource>>,
    private readonly versions: ReadonlyMap<string, string>,
  ) {}

  /**
   * Builds a snapshot. `version` becomes every type's version_info unless a type's
   * resources are identical to `previous`, whose version it then keeps (so a change
   * to one route does not make every proxy re-ACK its unchanged clusters).
   */
  static fromResources(version: string, resources: ResourcesByType, previous?: Snapshot): Snapshot {
    const maps: CachedResourcesByType = {};
    for (const typeUrl of ADS_PUSH_ORDER) maps[typeUrl] = resourceMap(typeUrl, (resources[typeUrl] ?? []).map((m) => packResource(typeUrl, m)));
    return Snapshot.fromCached(version, maps, previous);
  }

  /**
   * Builds a snapshot from resources already packed, without encoding anything: the
   * maps are held as given (so many proxies' snapshots can share them) and must not be
   * changed afterwards. Versions follow fromResources' rule; a type whose resources
   * equal `previous`'s also keeps `previous`'s map, so consecutive snapshots of a proxy
   * share what did not change and comparing them later is one identity test.
   */
  static fromCached(version: string, resources: CachedResourcesByType, previous?: Snapshot): Snapshot {
    const byType = new Map<string, ReadonlyMap<string, CachedResource>>();
    const versions = new Map<string, string>();
    for (const typeUrl of ADS_PUSH_ORDER) {
      const entries = resources[typeUrl] ?? EMPTY;
      const before = previous?.resources(typeUrl);
      const unchanged = before !== undefined && sameContent(before, entries);
      byType.set(typeUrl, unchanged ? before : entries);
      versions.set(typeUrl, unchanged ? previous!.version(typeUrl) : version);
    }
    const snapshot = new Snapshot(byType, versions);
    if (previous) snapshot.errors = Snapshot.inheritedErrors(previous, snapshot);
    return snapshot;
  }

  resources(typeUrl: string): ReadonlyMap<string, CachedResource> {
    return this.byType.get(typeUrl) ?? EMPTY;
  }

  /** The version_info a SotW response of this type carries. */
  version(typeUrl: string): string {
    return this.versions.get(typeUrl) ?? '';
  }

  /**
   * Every dangling reference: a listener's RDS route, a cluster's EDS assignment, or
   * an SDS secret that this snapshot does not hold. A producer must not publish a
   * snapshot with any (go-control-plane's Consistent()).
   */
  consistencyErrors(): string[] {
    this.errors ??= checked.get(
      ADS_PUSH_ORDER.map((t) => this.resources(t)),
      () => this.findDanglingReferences(),
    );
    return [...this.errors];
  }

  private findDanglingReferences(): string[] {
    const errors: string[] = [];
    const need = (typeUrl: XdsTypeUrl, name: string, owner: string) => {
      if (!this.resources(typeUrl).has(name)) errors.push(`${owner} refers to ${SHORT_NAME[typeUrl]} resource "${name}", which is missing`);
    };
    for (const [typeUrl, label] of [[LISTENER_TYPE, 'listener'], [CLUSTER_TYPE, 'cluster']] as const) {
      for (const r of this.resources(typeUrl).values()) {
        const refs = r.references ?? referencesOf(typeUrl, r.resource);
        for (const route of refs.routes) need(ROUTE_TYPE, route, `${label} "${r.name}"`);
        for (const ep of refs.endpoints) need(ENDPOINT_TYPE, ep, `${label} "${r.name}"`);
        for (const s of refs.secrets) need(SECRET_TYPE, s, `${label} "${r.name}"`);
      }
    }
    return errors;
  }

  /**
   * The consistency check reads only listeners and clusters (what refers) and the names
   * of routes, endpoints and secrets (what is referred to). When those are as in an
   * already checked `previous` — typically an endpoint-only push, where only
   * ClusterLoadAssignments' contents moved — its answer holds without walking a single
   * listener again, which at 1,000 proxies is most of a push's cost.
   */
  private static inheritedErrors(previous: Snapshot, next: Snapshot): readonly string[] | undefined {
    const known = previous.errors;
    if (known === undefined) return undefined;
    for (const t of [LISTENER_TYPE, CLUSTER_TYPE] as const) if (previous.resources(t) !== next.resources(t)) return undefined;
    for (const t of [ROUTE_TYPE, ENDPOINT_TYPE, SECRET_TYPE] as const) if (!sameNames(previous.resources(t), next.resources(t))) return undefined;
    return known;
  }
}
