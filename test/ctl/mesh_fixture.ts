// A small mesh for the CLI tests, made of real processes: `bin/skein xds serve`
// serving a folder of Istio-shaped resources (names as istiod generates them for the
// seeds' coolstore: listener 0.0.0.0_8080 → RDS http.8080 → outbound|80||webapp...,
// a DestinationRule subset, SDS secrets "default" and "ROOTCA"), and `bin/skein proxy`
// processes that identify as Istio proxies (router~IP~POD.NS~..., sidecar~...) with
// their admin API on POD_IP:15000, plus one plain node ("local-proxy").
//
// Pod IPs are 127.1.R.x with R picked in 200-239 (each test file its own part of the
// range), far from the low indices the local mesh hands out, and checked free, so
// tests running side by side do not share admin ports.
// Listeners are `bind_to_port: false` (Istio's virtual listeners do the same): every
// proxy holds 0.0.0.0:8080 without binding it.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createPki, type Pki } from '../helpers/pki.js';
import { spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';
import { spawnXdsServer, syncz, type XdsServer } from '../helpers/xds_server.js';
import { waitFor } from '../helpers/wait.js';

const ADS = '{ ads: {}, resource_api_version: V3 }';

export function resourcesYaml(pki: Pki): Record<string, string> {
  // Base64 bytes, as istiod's SDS sends certificates (what `-o json | jq ...inlineBytes | base64 -d` reads).
  const bytes = (file: string) => Buffer.from(pki.read(file)).toString('base64');
  return {
    'listener.yaml': `
"@type": type.googleapis.com/envoy.config.listener.v3.Listener
name: 0.0.0.0_8080
address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
bind_to_port: false
filter_chains:
- filters:
  - name: envoy.filters.network.http_connection_manager
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
      stat_prefix: outbound_0.0.0.0_8080
      rds: { route_config_name: http.8080, config_source: ${ADS} }
      http_filters:
      - name: envoy.filters.http.router
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`,
    'route.yaml': `
"@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
name: http.8080
validate_clusters: false
ignore_port_in_host_matching: true
virtual_hosts:
- name: webapp.istioinaction.io:80
  domains: [webapp.istioinaction.io]
  routes:
  - match: { prefix: / }
    route: { cluster: "outbound|80||webapp.istioinaction.svc.cluster.local", timeout: 0s }
    metadata:
      filter_metadata:
        istio: { config: /apis/networking.istio.io/v1alpha3/namespaces/istioinaction/virtual-service/webapp-vs-from-gw }
    decorator: { operation: "webapp.istioinaction.svc.cluster.local:80/*" }
`,
    'clusters.yaml': ['webapp', 'catalog']
      .map(
        (svc) => `
"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
name: "outbound|80||${svc}.istioinaction.svc.cluster.local"
type: EDS
connect_timeout: 10s
eds_cluster_config: { eds_config: ${ADS}, service_name: "outbound|80||${svc}.istioinaction.svc.cluster.local" }
`,
      )
      .join('---')
      .concat(`---
"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
name: "outbound|80|v1|catalog.istioinaction.svc.cluster.local"
type: EDS
connect_timeout: 10s
eds_cluster_config: { eds_config: ${ADS}, service_name: "outbound|80|v1|catalog.istioinaction.svc.cluster.local" }
metadata:
  filter_metadata:
    istio: { config: /apis/networking.istio.io/v1alpha3/namespaces/istioinaction/destination-rule/catalog }
---
"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
name: BlackHoleCluster
type: STATIC
connect_timeout: 10s
---
"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
name: "outbound|443||secure.istioinaction.svc.cluster.local"
type: STATIC
connect_timeout: 10s
load_assignment:
  cluster_name: "outbound|443||secure.istioinaction.svc.cluster.local"
  endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 10.10.0.20, port_value: 8443 } } } } ] } ]
transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    common_tls_context:
      tls_certificate_sds_secret_configs: [ { name: default, sds_config: ${ADS} } ]
      validation_context_sds_secret_config: { name: ROOTCA, sds_config: ${ADS} }
`),
    'endpoints.yaml': [
      ['outbound|80||webapp.istioinaction.svc.cluster.local', '10.10.0.16', 8080],
      ['outbound|80||catalog.istioinaction.svc.cluster.local', '10.10.0.15', 3000],
      ['outbound|80|v1|catalog.istioinaction.svc.cluster.local', '10.10.0.15', 3000],
    ]
      .map(
        ([name, ip, port]) => `
"@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
cluster_name: "${name}"
endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: ${ip}, port_value: ${port} } } } } ] } ]
`,
      )
      .join('---'),
    'secrets.yaml': `
"@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
name: default
tls_certificate:
  certificate_chain: { inline_bytes: ${bytes(pki.webapp.chain)} }
  private_key: { inline_bytes: ${bytes(pki.webapp.key)} }
---
"@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
name: ROOTCA
validation_context:
  trusted_ca: { inline_bytes: ${bytes(pki.root.cert)} }
`,
  };
}

/** The gateway's own listeners in Istio's bootstrap: Prometheus on 15090, health on 15021 (inline routes). */
const GATEWAY_STATIC_LISTENERS = `
  listeners:
${[
  ['15090', '/stats/prometheus', 'prometheus_stats'],
  ['15021', '/healthz/ready', 'agent'],
]
  .map(
    ([port, prefix, cluster]) => `  - name: "0.0.0.0_${port}"
    address: { socket_address: { address: 0.0.0.0, port_value: ${port} } }
    bind_to_port: false
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: stats
          route_config:
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes: [ { match: { prefix: "${prefix}" }, route: { cluster: ${cluster} } } ]
          http_filters: [ { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } } ]`,
  )
  .join('\n')}`;

function staticCluster(name: string, address: string, port: number, http2 = false): string {
  return `  - name: ${name}
    type: STATIC
    connect_timeout: 1s
${http2 ? '    typed_extension_protocol_options:\n      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n        explicit_http_config: { http2_protocol_options: {} }\n' : ''}    load_assignment:
      cluster_name: ${name}
      endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: ${address}, port_value: ${port} } } } } ] } ]`;
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** "127.1.R" with R in [from, to) whose .1 and .3 have port 15000 free. */
export async function freePodNet(from: number, to: number): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const podNet = `127.1.${from + Math.floor(Math.random() * (to - from))}`;
    if ((await canBind(`${podNet}.1`, 15000)) && (await canBind(`${podNet}.3`, 15000))) return podNet;
  }
  throw new Error(`no free 127.1.R.1/3:15000 with R in ${from}..${to - 1}`);
}

export interface ProxySpec {
  nodeId: string;
  nodeCluster: string;
  metadata?: Record<string, unknown>;
  adminIp: string;
  gateway?: boolean;
}

export function bootstrapYaml(spec: ProxySpec, xdsPort: number): string {
  const clusters = [staticCluster('xds-grpc', '127.0.0.1', xdsPort, true)];
  if (spec.gateway) clusters.push(staticCluster('prometheus_stats', '127.0.0.1', 15000), staticCluster('agent', '127.0.0.1', 15020));
  return `
node:
  id: "${spec.nodeId}"
  cluster: "${spec.nodeCluster}"
  metadata: ${JSON.stringify(spec.metadata ?? {})}
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services: [ { envoy_grpc: { cluster_name: xds-grpc } } ]
  lds_config: ${ADS}
  cds_config: ${ADS}
static_resources:${spec.gateway ? GATEWAY_STATIC_LISTENERS : ''}
  clusters:
${clusters.join('\n')}
admin:
  address: { socket_address: { address: ${spec.adminIp}, port_value: ${spec.adminIp.startsWith('127.1.') ? 15000 : 0} } }
`;
}

export interface MiniMesh {
  dir: string;
  resources: string;
  pki: Pki;
  xds: XdsServer;
  /** host:port of the xds server's status endpoint (--discovery-address). */
  discovery: string;
  podNet: string;
  gateway: { nodeId: string; admin: string };
  webapp: { nodeId: string; admin: string };
  local: { nodeId: string; admin: string };
  proxies: SkeinProcess[];
  stop(): Promise<void>;
}

export async function startMiniMesh(): Promise<MiniMesh> {
  const dir = tempDir('skein-ctl-');
  const resources = path.join(dir, 'resources');
  fs.mkdirSync(resources);
  const pki = createPki();
  for (const [name, text] of Object.entries(resourcesYaml(pki))) fs.writeFileSync(path.join(resources, name), text);
  const xds = await spawnXdsServer(resources);
  const podNet = await freePodNet(200, 220);
  const istioMeta = (ns: string, workload: string) => ({ ISTIO_VERSION: '1.17.8', CLUSTER_ID: 'Kubernetes', NAMESPACE: ns, WORKLOAD_NAME: workload });
  const gwId = `router~${podNet}.1~istio-ingressgateway-6bb8fb6549-hcdnc.istio-system~istio-system.svc.cluster.local`;
  const webId = `sidecar~${podNet}.3~webapp-7b8c9d6f4-abcde.istioinaction~istioinaction.svc.cluster.local`;
  const specs: ProxySpec[] = [
    { nodeId: gwId, nodeCluster: 'istio-ingressgateway.istio-system', metadata: istioMeta('istio-system', 'istio-ingressgateway'), adminIp: `${podNet}.1`, gateway: true },
    { nodeId: webId, nodeCluster: 'webapp.istioinaction', metadata: istioMeta('istioinaction', 'webapp'), adminIp: `${podNet}.3` },
    { nodeId: 'local-proxy', nodeCluster: 'local-cluster', adminIp: '127.0.0.1' },
  ];
  const proxies: SkeinProcess[] = [];
  const admins: string[] = [];
  for (const [i, spec] of specs.entries()) {
    const config = path.join(dir, `proxy-${i}.yaml`);
    const adminFile = path.join(dir, `admin-${i}`);
    fs.writeFileSync(config, bootstrapYaml(spec, xds.port));
    const proc = spawnSkein(['proxy', '-c', config, '--admin-address-path', adminFile, '--drain-time-s', '0']);
    proxies.push(proc);
    await proc.waitFor(/starting main dispatch loop/);
    admins.push(fs.readFileSync(adminFile, 'utf8').trim());
  }
  const mesh: MiniMesh = {
    dir,
    resources,
    pki,
    xds,
    discovery: xds.statusUrl.replace(/^http:\/\//, ''),
    podNet,
    gateway: { nodeId: gwId, admin: admins[0]! },
    webapp: { nodeId: webId, admin: admins[1]! },
    local: { nodeId: 'local-proxy', admin: admins[2]! },
    proxies,
    async stop() {
      await Promise.all(proxies.map((p) => stopProcess(p)));
      await stopProcess(xds.proc);
      pki.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitFor(
    async () => {
      const entries = await syncz(xds.statusUrl);
      return specs.every((s) => {
        const e = entries.find((x) => x.nodeId === s.nodeId);
        return e && ['CDS', 'EDS', 'LDS', 'RDS', 'SDS'].every((t) => e.types[t]?.state === 'SYNCED');
      });
    },
    'every proxy SYNCED on the xds server',
    { detail: async () => JSON.stringify(await syncz(xds.statusUrl), null, 1) },
  );
  return mesh;
}
