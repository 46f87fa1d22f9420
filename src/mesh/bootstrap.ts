// The Envoy bootstrap of a local-mesh proxy, shaped like the one Istio's pilot-agent
// writes (envoy-rev.json): node id "sidecar~IP~POD.NS~NS.svc.cluster.local" (or
// "router~..." for gateways) with the node metadata istiod reads, ADS over the static
// `xds-grpc` cluster, the `prometheus_stats` and `agent` static clusters, and the
// 15090 (/stats/prometheus) and 15021 (/healthz/ready) listeners. The admin API listens
// on the pod IP, port 15000, as `kubectl exec ... curl localhost:15000` would reach it.
//
// Differences, because the local mesh has no pilot-agent and no network namespace:
// xds-grpc reaches the discovery server on 127.0.0.1; `agent` (pilot-agent's health
// endpoint) is the proxy's own admin, and the 15021 route asks its /ready; listeners
// stay 0.0.0.0 in config and bind the pod IP (`skein proxy --pod-ip`).
import os from 'node:os';
import { SKEIN_VERSION } from '../common/version.js';

export const ADMIN_PORT = 15000;
export const STATUS_PORT = 15021;
export const PROMETHEUS_PORT = 15090;

export interface BootstrapInput {
  type: 'sidecar' | 'router';
  podName: string;
  namespace: string;
  podIp: string;
  /** The pod's labels (as the proxy reports them in LABELS). */
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** The Deployment: node.cluster "<deployment>.<ns>", WORKLOAD_NAME, OWNER. */
  deployment: string;
  serviceAccount: string;
  /** Sidecars: where the app listens (SKEIN_APP_ADDRESS). */
  appAddress?: string;
  appContainers?: string[];
  containerPorts?: { name?: string; containerPort: number; protocol?: string }[];
  /** The discovery server's xDS port on 127.0.0.1. */
  xdsPort: number;
  xdsHost?: string;
  clusterId?: string;
  trustDomain?: string;
  domainSuffix?: string;
}

/** "sidecar~127.1.0.3~webapp-...-x2kqz.istioinaction~istioinaction.svc.cluster.local" */
export function nodeId(input: Pick<BootstrapInput, 'type' | 'podIp' | 'podName' | 'namespace' | 'domainSuffix'>): string {
  return `${input.type}~${input.podIp}~${input.podName}.${input.namespace}~${input.namespace}.svc.${input.domainSuffix ?? 'cluster.local'}`;
}

const socket = (address: string, port: number) => ({ socket_address: { protocol: 'TCP', address, port_value: port } });

function staticCluster(name: string, address: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '0.250s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(address, port) } }] }] },
    ...extra,
  };
}

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

/** One of pilot-agent's two static HTTP listeners (0.0.0.0:15090 and 0.0.0.0:15021). */
function inlineRouteListener(port: number, prefix: string, cluster: string, prefixRewrite?: string) {
  return {
    name: `${port === PROMETHEUS_PORT ? 'prometheus' : 'status'}_${port}`,
    address: socket('0.0.0.0', port),
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          codec_type: 'AUTO',
          stat_prefix: port === PROMETHEUS_PORT ? 'stats' : 'agent',
          route_config: {
            virtual_hosts: [{
              name: 'backend',
              domains: ['*'],
              routes: [{ match: { prefix }, route: { cluster, ...(prefixRewrite ? { prefix_rewrite: prefixRewrite } : {}) } }],
            }],
          },
          http_filters: [ROUTER],
        },
      }],
    }],
  };
}

export function proxyBootstrap(input: BootstrapInput): Record<string, unknown> {
  const domainSuffix = input.domainSuffix ?? 'cluster.local';
  const metadata: Record<string, unknown> = {
    ANNOTATIONS: input.annotations ?? {},
    CLUSTER_ID: input.clusterId ?? 'Kubernetes',
    ENVOY_PROMETHEUS_PORT: PROMETHEUS_PORT,
    ENVOY_STATUS_PORT: STATUS_PORT,
    INSTANCE_IPS: input.podIp,
    // explicit listeners, no iptables: Istio's captureMode NONE
    INTERCEPTION_MODE: 'NONE',
    ISTIO_VERSION: SKEIN_VERSION,
    LABELS: input.labels,
    MESH_ID: input.trustDomain ?? 'cluster.local',
    NAME: input.podName,
    NAMESPACE: input.namespace,
    NODE_NAME: os.hostname(),
    OWNER: `kubernetes://apis/apps/v1/namespaces/${input.namespace}/deployments/${input.deployment}`,
    PILOT_SAN: ['istiod.istio-system.svc'],
    SERVICE_ACCOUNT: input.serviceAccount,
    WORKLOAD_NAME: input.deployment,
  };
  if (input.appContainers?.length) metadata.APP_CONTAINERS = input.appContainers.join(',');
  if (input.containerPorts?.length) metadata.POD_PORTS = JSON.stringify(input.containerPorts);
  if (input.type === 'sidecar' && input.appAddress) metadata.SKEIN_APP_ADDRESS = input.appAddress;

  const ads = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
  return {
    node: {
      id: nodeId({ ...input, domainSuffix }),
      cluster: `${input.deployment}.${input.namespace}`,
      locality: {},
      metadata,
    },
    admin: { address: socket(input.podIp, ADMIN_PORT) },
    dynamic_resources: {
      lds_config: ads,
      cds_config: ads,
      ads_config: {
        api_type: 'GRPC',
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
      },
    },
    static_resources: {
      clusters: [
        staticCluster('prometheus_stats', input.podIp, ADMIN_PORT),
        staticCluster('agent', input.podIp, ADMIN_PORT),
        staticCluster('xds-grpc', input.xdsHost ?? '127.0.0.1', input.xdsPort, {
          connect_timeout: '1s',
          circuit_breakers: {
            thresholds: [
              { priority: 'DEFAULT', max_connections: 100000, max_pending_requests: 100000, max_requests: 100000 },
              { priority: 'HIGH', max_connections: 100000, max_pending_requests: 100000, max_requests: 100000 },
            ],
          },
          upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        }),
      ],
      listeners: [
        inlineRouteListener(PROMETHEUS_PORT, '/stats/prometheus', 'prometheus_stats'),
        inlineRouteListener(STATUS_PORT, '/healthz/ready', 'agent', '/ready'),
      ],
    },
  };
}
