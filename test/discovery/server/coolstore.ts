// Seed 003's chapter 4 setup as discovery-server input: the coolstore namespace,
// webapp and catalog Services, the coolstore-gateway Gateway and the
// webapp-vs-from-gw VirtualService, and the default ingress gateway's Service, plus
// local pods for them and a router bootstrap that identifies like istio's
// ingress gateway. Pod addresses sit in a corner of the local-mesh range
// (127.1.9.x) that other tests' meshes do not use.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { LogRegistry, Logger } from '../../../src/common/logger.js';
import { podIp } from '../../../src/discovery/model/local_addresses.js';
import type { LocalPod } from '../../../src/discovery/registry/index.js';

export const NAMESPACE_YAML = `apiVersion: v1
kind: Namespace
metadata:
  name: istioinaction
  labels:
    istio-injection: enabled
`;

export const SERVICES_YAML = `apiVersion: v1
kind: Service
metadata:
  name: webapp
  namespace: istioinaction
spec:
  selector:
    app: webapp
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: catalog
  namespace: istioinaction
spec:
  selector:
    app: catalog
  ports:
  - name: http
    port: 80
    targetPort: 3000
`;

export const GATEWAY_YAML = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: coolstore-gateway
  namespace: istioinaction
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "webapp.istioinaction.io"
`;

/** The seed's VirtualService, routing to `service` (webapp in the seed). */
export function virtualServiceYaml(service = 'webapp'): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: webapp-vs-from-gw
  namespace: istioinaction
spec:
  hosts:
  - "webapp.istioinaction.io"
  gateways:
  - coolstore-gateway
  http:
  - route:
    - destination:
        host: ${service}
        port:
          number: 80
`;
}

export const INGRESS_YAML = `apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    istio: ingressgateway
spec:
  type: NodePort
  selector:
    istio: ingressgateway
  ports:
  - name: http2
    port: 80
    targetPort: 8080
    nodePort: 30000
`;

/** Writes the coolstore folder; returns the VirtualService's path (tests edit it). */
export function writeCoolstore(dir: string): { vsFile: string } {
  fs.writeFileSync(path.join(dir, 'namespace.yaml'), NAMESPACE_YAML);
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES_YAML);
  fs.writeFileSync(path.join(dir, 'gateway.yaml'), GATEWAY_YAML);
  fs.writeFileSync(path.join(dir, 'ingress.yaml'), INGRESS_YAML);
  const vsFile = path.join(dir, 'virtualservice.yaml');
  fs.writeFileSync(vsFile, virtualServiceYaml());
  return { vsFile };
}

// Pod indexes 9*256+201.. → pod IPs 127.1.9.201..
export const GATEWAY_POD = 9 * 256 + 201;
export const WEBAPP_POD = GATEWAY_POD + 1;
export const CATALOG_POD = GATEWAY_POD + 2;
export const CATALOG_POD_2 = GATEWAY_POD + 3;
export const GATEWAY_IP = podIp(GATEWAY_POD);

export function pod(name: string, namespace: string, index: number, labels: Record<string, string>): LocalPod {
  return { name, namespace, index, labels, serviceAccount: 'default', namedPorts: {}, healthy: true };
}

export const GATEWAY_NODE_ID = `router~${GATEWAY_IP}~istio-ingressgateway-abc.istio-system~istio-system.svc.cluster.local`;

export function coolstorePods(extraCatalog = false): LocalPod[] {
  const pods = [
    pod('istio-ingressgateway-abc', 'istio-system', GATEWAY_POD, { istio: 'ingressgateway', app: 'istio-ingressgateway' }),
    pod('webapp-7b8c9d-aaaaa', 'istioinaction', WEBAPP_POD, { app: 'webapp' }),
    pod('catalog-5c6d7e-bbbbb', 'istioinaction', CATALOG_POD, { app: 'catalog' }),
  ];
  if (extraCatalog) pods.push(pod('catalog-5c6d7e-ccccc', 'istioinaction', CATALOG_POD_2, { app: 'catalog' }));
  return pods;
}

/** A bootstrap that identifies as Istio's ingress gateway and gets everything over ADS. */
export function routerBootstrap(
  xdsPort: number,
  nodeId = GATEWAY_NODE_ID,
  labels: Record<string, string> = { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  initialFetchTimeout?: string,
): string {
  const source = { ads: {}, resource_api_version: 'V3', ...(initialFetchTimeout ? { initial_fetch_timeout: initialFetchTimeout } : {}) };
  return JSON.stringify({
    node: {
      id: nodeId,
      cluster: 'istio-ingressgateway.istio-system',
      metadata: { LABELS: labels, NAMESPACE: 'istio-system', CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.17.8', WORKLOAD_NAME: 'istio-ingressgateway' },
    },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      lds_config: source,
      cds_config: source,
    },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: 'xds-grpc',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: xdsPort } } } }] }],
          },
        },
      ],
    },
  });
}

/** A discovery logger whose lines the test can read (and that stays quiet otherwise). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const registry = new LogRegistry('info');
  const lines: string[] = [];
  registry.sink = (line) => {
    lines.push(line);
    if (process.env.SKEIN_TEST_LOGS) process.stderr.write(line + '\n');
  };
  return { logger: new Logger('discovery', registry), lines };
}

/** An HTTP server on host:port that answers every request with its name. */
export async function startNamedServer(name: string, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name });
    res.end(name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
