// The xDS resource types both ends of the protocol agree on: their type URLs, how a
// resource is named, and which other resources it refers to. The control plane uses
// the references for its consistency check (never serve a listener whose routes are
// missing); the proxy uses the same table to know what a resource waits for.
import type { envoy } from '../envoy-types.generated.js';
import { TYPE_URL_PREFIX } from '../proto/root.js';
import { routeRefsOfListener, secretRefsOfCluster, secretRefsOfListener, type ResourceRef } from './references.js';

export const LISTENER_TYPE = `${TYPE_URL_PREFIX}envoy.config.listener.v3.Listener`;
export const ROUTE_TYPE = `${TYPE_URL_PREFIX}envoy.config.route.v3.RouteConfiguration`;
export const CLUSTER_TYPE = `${TYPE_URL_PREFIX}envoy.config.cluster.v3.Cluster`;
export const ENDPOINT_TYPE = `${TYPE_URL_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;
export const SECRET_TYPE = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`;

/**
 * The order an ADS server pushes in (go-control-plane's and Istio's): clusters before
 * their endpoints, listeners before their routes, so a proxy never holds a reference
 * to something it has not been offered yet. Secrets last: TLS contexts wait for them.
 */
export const ADS_PUSH_ORDER = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE] as const;

export type XdsTypeUrl = (typeof ADS_PUSH_ORDER)[number];

/** Short names used in stats, logs and CLI output (Envoy's and istioctl's). */
export const SHORT_NAME: Record<XdsTypeUrl, 'LDS' | 'RDS' | 'CDS' | 'EDS' | 'SDS'> = {
  [LISTENER_TYPE]: 'LDS',
  [ROUTE_TYPE]: 'RDS',
  [CLUSTER_TYPE]: 'CDS',
  [ENDPOINT_TYPE]: 'EDS',
  [SECRET_TYPE]: 'SDS',
};

/** Types whose subscription without names means "everything" (Envoy's wildcard). */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

export function isXdsTypeUrl(url: string): url is XdsTypeUrl {
  return (ADS_PUSH_ORDER as readonly string[]).includes(url);
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

/** A resource's name: `name`, except ClusterLoadAssignment, named by `cluster_name`. */
export function resourceName(typeUrl: string, resource: unknown): string {
  const r = obj(resource);
  return String((typeUrl === ENDPOINT_TYPE ? r.cluster_name : r.name) ?? '');
}

export interface ResourceReferences {
  routes: string[];
  endpoints: string[];
  secrets: string[];
}

/**
 * What a resource needs from other types before it can work: a listener's RDS route
 * names and SDS secrets, a cluster's EDS service name and SDS secrets. Only SDS
 * configs delivered over xDS count (ads or api_config_source), not files.
 */
export function referencesOf(typeUrl: string, resource: unknown): ResourceReferences {
  const refs: ResourceReferences = { routes: [], endpoints: [], secrets: [] };
  const names = (list: ResourceRef[]) => [...new Set(list.map((r) => r.name))];
  if (typeUrl === LISTENER_TYPE) {
    const listener = resource as envoy.config.listener.v3.Listener;
    refs.routes = names(routeRefsOfListener(listener, ''));
    refs.secrets = names(secretRefsOfListener(listener, ''));
  } else if (typeUrl === CLUSTER_TYPE) {
    const cluster = resource as envoy.config.cluster.v3.Cluster;
    if (cluster.type === 'EDS') refs.endpoints.push(cluster.eds_cluster_config?.service_name || cluster.name || '');
    refs.secrets = names(secretRefsOfCluster(cluster, ''));
  }
  return refs;
}
