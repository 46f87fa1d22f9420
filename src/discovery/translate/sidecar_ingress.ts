// A Sidecar resource's `ingress` listeners. When a Sidecar that applies to the proxy has
// any, Istio builds the inbound side from them alone (not from the services the
// workload serves): per entry, a listener on `bind` (default: the pod IP) and the
// entry's port, protocol from the port, forwarding to cluster `inbound|PORT||` — a
// static endpoint at `defaultEndpoint` (addresses mapped for the local mesh in
// sidecar_addresses.ts).
//
// captureMode does not change what is built here: with iptables the listener would
// receive captured traffic, without it traffic arrives at the listener's own socket,
// and in the local mesh the pod IP listener is that socket either way.
import type { Service, ServicePort } from '../model/types.js';
import { inboundCluster } from './clusters.js';
import type { TranslateContext } from './context.js';
import { socketAddress, type Json } from './envoy.js';
import { inboundClusterName } from './names.js';
import { defaultEndpoint, localBind, type ListenerAddresses, type LocalEndpoint } from './sidecar_addresses.js';
import { inboundListener, servicesServedOn, type InboundResources } from './sidecar_inbound.js';
import { captureModeOf, sidecarPort, type Sidecar } from './sidecar_scope.js';

type IngressEntry = NonNullable<Sidecar['spec']['ingress']>[number];

export function buildSidecarIngress(ctx: TranslateContext, sidecar: Sidecar, addresses: ListenerAddresses): InboundResources {
  const out: InboundResources = { listeners: [], clusters: [], appSockets: [] };
  const ports = new Set<number>();
  (sidecar.spec.ingress ?? []).forEach((entry, i) => {
    if (!entry) return;
    const where = `ingress[${i}]`;
    ctx.guard(sidecar, `${where} listener`, () => addIngress(ctx, sidecar, entry, where, addresses, ports, out), undefined);
  });
  return out;
}

function addIngress(
  ctx: TranslateContext,
  sidecar: Sidecar,
  entry: IngressEntry,
  where: string,
  addresses: ListenerAddresses,
  ports: Set<number>,
  out: InboundResources,
): void {
  const skip = (why: string) => ctx.warn(sidecar, `${where}: ${why}; listener skipped`);
  if (entry.port == null) return skip('it has no port');
  const port = sidecarPort(ctx, sidecar, where, entry.port);
  if (!port) return;
  captureModeOf(ctx, sidecar, where, entry.captureMode);
  const cluster = inboundClusterName(port.port);
  // Istio names the cluster by the listener's port, so a second entry on it would collide.
  if (ports.has(port.port)) return skip(`port ${port.port} already has an ingress listener (cluster ${cluster})`);
  if (port.protocol === 'UDP') return skip('UDP listeners are not supported');
  const bind = localBind(ctx, entry.bind, 'podIp');
  if ('problem' in bind) return skip(bind.problem);
  const endpoint = defaultEndpoint(ctx, entry.defaultEndpoint, port.port);
  if ('problem' in endpoint) return skip(endpoint.problem);
  if ('pipe' in endpoint && !ctx.capabilities.unixDomainSockets) {
    return skip(`defaultEndpoint unix://${endpoint.pipe}: skein's proxy cannot connect to unix domain sockets yet`);
  }
  // Claimed as the entry is read, so a later entry (or egress listener) cannot bind where this one forwards.
  if ('address' in endpoint) {
    const holder = addresses.claimApp(endpoint.address, endpoint.port);
    if (holder) return skip(`its defaultEndpoint is ${endpoint.address}:${endpoint.port}, which is ${holder}`);
    out.appSockets.push({ address: endpoint.address, port: endpoint.port });
  }
  const holder = addresses.claim(bind.address, port.port, `Sidecar ${where}`);
  if (holder) return skip(`${bind.address}:${port.port} is already taken by ${holder}`);
  ports.add(port.port);

  // The service this port belongs to names the route's decorator and the cluster's
  // metadata; without one Istio makes up a stand-in named after the Sidecar.
  const services = servicesServedOn(ctx, port.port);
  const hostname = services[0]?.hostname ?? `${sidecar.metadata.name}.${sidecar.metadata.namespace}`;
  out.clusters.push(ingressCluster(ctx, port, endpoint, services, sidecar));
  out.listeners.push(inboundListener(ctx, { address: bind.address, port: port.port, protocol: port.protocol, cluster, hostname, servicePort: port.port }));
}

function ingressCluster(ctx: TranslateContext, port: ServicePort, endpoint: Exclude<LocalEndpoint, { problem: string }>, services: Service[], sidecar: Sidecar): Json {
  const address = 'pipe' in endpoint ? { pipe: { path: endpoint.pipe } } : socketAddress(endpoint.address, endpoint.port);
  // Named by the listener's port, but the endpoint may be another port (8080 → 127.0.0.1:3000) or a pipe.
  const cluster = inboundCluster(ctx, port.port, '', services, port);
  cluster.load_assignment = { cluster_name: cluster.name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] };
  if (services.length === 0) {
    const { name, namespace } = sidecar.metadata;
    cluster.metadata = { filter_metadata: { istio: { services: [{ host: `${name}.${namespace}`, name, namespace }] } } };
  }
  return cluster;
}
