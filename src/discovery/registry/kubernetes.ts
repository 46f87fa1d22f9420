// Kubernetes Services → Istio services and endpoints. Endpoints come from, in order:
// the local mesh's pods matching the Service selector (`skein mesh up`), else the
// EndpointSlices labelled kubernetes.io/service-name, else an Endpoints object of the
// same name — the last two are how a folder describes a process the user runs
// themselves, and how a real cluster reports endpoints.
import type { ConfigObject, EndpointSliceBody } from '../../api/istio/types.js';
import { normaliseExportTo, selectorMatches } from '../model/labels.js';
import type { Endpoint, Service, ServicePort } from '../model/types.js';
import { servicePortProtocol } from './protocol.js';
import type { LocalWorkload, RegistrySources } from './sources.js';
import { describe as describeObject } from '../model/describe.js';

export const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

export function kubernetesService(obj: ConfigObject<'Service'>, domainSuffix: string, sources: RegistrySources): Service | undefined {
  const spec = obj.spec;
  const { name, namespace } = obj.metadata;
  if (!spec || !Array.isArray(spec.ports)) {
    sources.warn(`${describeObject(obj)}: no ports; Service ignored`);
    return undefined;
  }
  const ports: ServicePort[] = [];
  for (const p of spec.ports) {
    if (!p || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      sources.warn(`${describeObject(obj)}: port ${JSON.stringify(p?.port)} is not a port number; port ignored`);
      continue;
    }
    const port: ServicePort = {
      name: p.name ?? '',
      port: p.port,
      protocol: servicePortProtocol(p),
      targetPort: targetPortOf(p.targetPort, p.port),
    };
    if (p.nodePort !== undefined) port.nodePort = p.nodePort;
    ports.push(port);
  }
  const headless = spec.clusterIP === 'None';
  const external = spec.type === 'ExternalName';
  const exportAnnotation = obj.metadata.annotations?.[EXPORT_TO_ANNOTATION];
  const exportTo = exportAnnotation ? exportAnnotation.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
  const svc: Service = {
    hostname: `${name}.${namespace}.svc.${domainSuffix}`,
    name,
    namespace,
    ports,
    resolution: external ? 'DNSLB' : headless ? 'Passthrough' : 'ClientSideLB',
    meshExternal: external,
    serviceType: spec.type ?? 'ClusterIP',
    labels: obj.metadata.labels ?? {},
    exportTo: normaliseExportTo(exportTo, namespace),
    origin: 'Kubernetes',
    localIndex: 0,
  };
  if (spec.clusterIP && !headless) svc.address = spec.clusterIP;
  if (spec.selector && !external) svc.selector = spec.selector;
  return svc;
}

/** IntOrString: absent → the port itself; a quoted number ("8080") is a number, not a port name. */
function targetPortOf(target: number | string | undefined, port: number): number | string {
  if (target === undefined || target === '') return port;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  return target;
}

export function kubernetesEndpoints(svc: Service, obj: ConfigObject<'Service'>, sources: RegistrySources): Endpoint[] {
  if (svc.serviceType === 'ExternalName') {
    const host = obj.spec.externalName;
    if (!host) {
      sources.warn(`${describeObject(obj)}: type ExternalName without externalName; no endpoints`);
      return [];
    }
    return svc.ports.map((p) => baseEndpoint(svc, p, host, p.port, { hostname: host }));
  }
  if (svc.selector) {
    const pods = (sources.podWorkloads.get(svc.namespace) ?? []).filter((w) => selectorMatches(svc.selector, w.labels));
    if (pods.length > 0) return podEndpoints(svc, obj, pods, sources);
  }
  const slices = sources.slicesByService.get(`${svc.namespace}/${svc.name}`);
  if (slices) return slices.flatMap((s) => sliceEndpoints(svc, s.spec, sources));
  const eps = sources.endpointsObjects.get(`${svc.namespace}/${svc.name}`);
  if (eps) return endpointsObjectEndpoints(svc, eps, sources);
  return [];
}

function podEndpoints(
  svc: Service,
  obj: ConfigObject<'Service'>,
  pods: readonly LocalWorkload[],
  sources: RegistrySources,
): Endpoint[] {
  const out: Endpoint[] = [];
  for (const port of svc.ports) {
    for (const pod of pods) {
      const target = port.targetPort ?? port.port;
      const resolved = typeof target === 'number' ? target : pod.namedPorts[target];
      if (resolved === undefined) {
        sources.warn(
          `${describeObject(obj)}: port ${port.port} targetPort "${target}" is not a named port of pod ${pod.name}; endpoint skipped`,
        );
        continue;
      }
      out.push(
        baseEndpoint(svc, port, pod.address, resolved, {
          labels: pod.labels,
          serviceAccount: pod.serviceAccount,
          locality: pod.locality,
          network: pod.network,
          workloadName: pod.name,
          healthy: pod.healthy,
        }),
      );
    }
  }
  return out;
}

/** The endpoint port for a service port from a slice's / Endpoints' port list (matched by name, as Kubernetes does). */
function portFromList(port: ServicePort, list: { name?: string; port: number }[] | undefined): number | undefined {
  if (!list || list.length === 0) return typeof port.targetPort === 'number' ? port.targetPort : undefined;
  const match = list.find((p) => (p.name ?? '') === port.name);
  return match?.port;
}

function sliceEndpoints(svc: Service, slice: EndpointSliceBody, sources: RegistrySources): Endpoint[] {
  const out: Endpoint[] = [];
  for (const port of svc.ports) {
    const target = portFromList(port, slice.ports);
    if (target === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const pod = ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? sources.podsByName.get(`${svc.namespace}/${ep.targetRef.name}`) : undefined;
      const labels = pod?.labels ?? {};
      for (const address of ep.addresses ?? []) {
        const extra: Partial<Endpoint> = {
          labels,
          serviceAccount: pod?.serviceAccount || 'default',
          locality: sources.nodeLocality(ep.nodeName, ep.zone),
          network: sources.networkOf(svc.namespace, labels),
          healthy: ep.conditions?.ready !== false,
        };
        if (ep.targetRef?.name) extra.workloadName = ep.targetRef.name;
        if (slice.addressType === 'FQDN') extra.hostname = address;
        out.push(baseEndpoint(svc, port, address, target, extra));
      }
    }
  }
  return out;
}

function endpointsObjectEndpoints(svc: Service, eps: ConfigObject<'Endpoints'>, sources: RegistrySources): Endpoint[] {
  const out: Endpoint[] = [];
  for (const subset of eps.spec.subsets ?? []) {
    for (const port of svc.ports) {
      const target = portFromList(port, subset.ports);
      if (target === undefined) continue;
      const add = (address: string, healthy: boolean, nodeName?: string, podName?: string): void => {
        const extra: Partial<Endpoint> = {
          locality: sources.nodeLocality(nodeName),
          network: sources.networkOf(svc.namespace, {}),
          healthy,
        };
        if (podName) extra.workloadName = podName;
        out.push(baseEndpoint(svc, port, address, target, extra));
      };
      for (const a of subset.addresses ?? []) add(a.ip, true, a.nodeName, a.targetRef?.kind === 'Pod' ? a.targetRef.name : undefined);
      for (const a of subset.notReadyAddresses ?? []) add(a.ip, false);
    }
  }
  return out;
}

export function baseEndpoint(svc: Service, port: ServicePort, address: string, target: number, extra: Partial<Endpoint>): Endpoint {
  return {
    address,
    port: target,
    servicePortName: port.name,
    servicePort: port.port,
    labels: {},
    serviceAccount: 'default',
    locality: '',
    network: '',
    namespace: svc.namespace,
    healthy: true,
    ...extra,
  };
}
