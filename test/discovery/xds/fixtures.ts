// Small, consistent xDS resource sets for the server tests.
import { Snapshot, type ResourcesByType } from '../../../src/discovery/xds/cache/snapshot.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../src/api/xds/resource_types.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export const cluster = (name: string) => ({
  name,
  type: 'EDS',
  connect_timeout: { seconds: 1, nanos: 0 },
  eds_cluster_config: { eds_config: { ads: {} } },
});

export const endpoints = (clusterName: string, ...addresses: string[]) => ({
  cluster_name: clusterName,
  endpoints: [
    {
      lb_endpoints: addresses.map((a) => ({ endpoint: { address: { socket_address: { address: a, port_value: 8080 } } } })),
    },
  ],
});

export const listener = (name: string, port: number, routeName: string) => ({
  name,
  address: { socket_address: { address: '0.0.0.0', port_value: port } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: { '@type': HCM, stat_prefix: name, rds: { route_config_name: routeName, config_source: { ads: {} } } },
        },
      ],
    },
  ],
});

export const route = (name: string, clusterName: string) => ({
  name,
  virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }],
});

export const secret = (name: string, value = 'shh') => ({ name, generic_secret: { secret: { inline_string: value } } });

export interface MeshShape {
  clusters?: Record<string, string[]>;
  listeners?: Record<string, { port: number; route: string; cluster: string }>;
  secrets?: Record<string, string>;
}

/** A consistent snapshot: each cluster with its endpoints, each listener with its route. */
export function snapshotOf(version: string, shape: MeshShape, previous?: Snapshot): Snapshot {
  const resources: ResourcesByType = {
    [CLUSTER_TYPE]: Object.keys(shape.clusters ?? {}).map(cluster),
    [ENDPOINT_TYPE]: Object.entries(shape.clusters ?? {}).map(([c, addrs]) => endpoints(c, ...addrs)),
    [LISTENER_TYPE]: Object.entries(shape.listeners ?? {}).map(([l, v]) => listener(l, v.port, v.route)),
    [ROUTE_TYPE]: Object.values(shape.listeners ?? {}).map((v) => route(v.route, v.cluster)),
    [SECRET_TYPE]: Object.entries(shape.secrets ?? {}).map(([n, v]) => secret(n, v)),
  };
  return Snapshot.fromResources(version, resources, previous);
}

export const BASIC: MeshShape = {
  clusters: { a: ['10.0.0.1'], b: ['10.0.0.2'], c: ['10.0.0.3'] },
  listeners: { l1: { port: 8080, route: 'r1', cluster: 'a' }, l2: { port: 9090, route: 'r2', cluster: 'b' } },
  secrets: { default: 'cert', ROOTCA: 'ca' },
};
