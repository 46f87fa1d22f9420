// An immutable, versioned set of xDS resources for one node (or group of nodes).
// Producers (the file-driven server, later the mesh translator) build snapshots;
// the xDS server only reads them. Each resource is encoded once, here, and carries
// a content version (a hash of its bytes) so delta xDS can tell what changed and
// SotW pushes never re-encode per proxy.
import { createHash } from 'node:crypto';
import { packAny } from '../../../api/proto/binary.js';
import { ADS_PUSH_ORDER, ENDPOINT_TYPE, LISTENER_TYPE, CLUSTER_TYPE, ROUTE_TYPE, SECRET_TYPE, referencesOf, resourceName, SHORT_NAME, type XdsTypeUrl } from '../../../api/xds/resource_types.js';

export interface CachedResource {
  readonly name: string;
  /** Content version: equal bytes, equal version (delta xDS resource version). */
  readonly version: string;
  /** The in-memory message (as from YAML), without '@type'. */
  readonly resource: Readonly<Record<string, unknown>>;
  /** The resource packed as a google.protobuf.Any, ready for a DiscoveryResponse. */
  readonly any: { readonly type_url: string; readonly value: Uint8Array };
}

export type ResourcesByType = Partial<Record<XdsTypeUrl, readonly Record<string, unknown>[]>>;

export class SnapshotError extends Error {}

export class Snapshot {
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
    const byType = new Map<string, Map<string, CachedResource>>();
    const versions = new Map<string, string>();
    for (const typeUrl of ADS_PUSH_ORDER) {
      const entries = new Map<string, CachedResource>();
      for (const message of resources[typeUrl] ?? []) {
        const name = resourceName(typeUrl, message);
        if (!name) throw new SnapshotError(`${SHORT_NAME[typeUrl]} resource without a name`);
        if (entries.has(name)) throw new SnapshotError(`${SHORT_NAME[typeUrl]} resource "${name}" appears twice`);
        const { '@type': _ignored, ...fields } = message;
        const any = packAny({ '@type': typeUrl, ...fields });
        const hash = createHash('sha256').update(any.value).digest('base64url').slice(0, 16);
        entries.set(name, { name, version: hash, resource: fields, any });
      }
      byType.set(typeUrl, entries);
      const unchanged = previous && sameResources(previous.resources(typeUrl), entries);
      versions.set(typeUrl, unchanged ? previous.version(typeUrl) : version);
    }
    return new Snapshot(byType, versions);
  }

  resources(typeUrl: string): ReadonlyMap<string, CachedResource> {
    return this.byType.get(typeUrl) ?? new Map();
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
    const errors: string[] = [];
    const need = (typeUrl: XdsTypeUrl, name: string, owner: string) => {
      if (!this.resources(typeUrl).has(name)) errors.push(`${owner} refers to ${SHORT_NAME[typeUrl]} resource "${name}", which is missing`);
    };
    for (const [typeUrl, label] of [[LISTENER_TYPE, 'listener'], [CLUSTER_TYPE, 'cluster']] as const) {
      for (const r of this.resources(typeUrl).values()) {
        const refs = referencesOf(typeUrl, r.resource);
        for (const route of refs.routes) need(ROUTE_TYPE, route, `${label} "${r.name}"`);
        for (const ep of refs.endpoints) need(ENDPOINT_TYPE, ep, `${label} "${r.name}"`);
        for (const s of refs.secrets) need(SECRET_TYPE, s, `${label} "${r.name}"`);
      }
    }
    return errors;
  }
}

function sameResources(a: ReadonlyMap<string, CachedResource>, b: ReadonlyMap<string, CachedResource>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, r] of b) if (a.get(name)?.version !== r.version) return false;
  return true;
}
