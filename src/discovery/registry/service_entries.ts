// ServiceEntry → one Istio service per host, with endpoints from (in Istio's order of
// preference) the inline `endpoints`, else the workloads its `workloadSelector` picks
// in its own namespace (WorkloadEntries and local pods), else — for DNS resolution —
// the host name itself.
import type { ConfigObject, ServiceEntrySpec, WorkloadEntrySpec } from '../../api/istio/types.js';
import { isIP } from 'node:net';
import { normaliseExportTo, selectorMatches } from '../model/labels.js';
import type { Endpoint, Resolution, Service, ServicePort } from '../model/types.js';
import { baseEndpoint } from './kubernetes.js';
import { declaredPortProtocol } from './protocol.js';
import type { LocalWorkload, RegistrySources } from './sources.js';
import { describe as describeObject } from '../model/describe.js';

const RESOLUTIONS: Record<NonNullable<ServiceEntrySpec['resolution']>, Resolution> = {
  NONE: 'Passthrough',
  STATIC: 'ClientSideLB',
  DNS: 'DNSLB',
  DNS_ROUND_ROBIN: 'DNSRoundRobinLB',
};

export interface ServiceEntryServices {
  services: Service[];
  /** Endpoints per service, same order as `services`. */
  endpoints: Endpoint[][];
}

export function serviceEntryServices(obj: ConfigObject<'ServiceEntry'>, sources: RegistrySources): ServiceEntryServices {
  const spec = obj.spec;
  const out: ServiceEntryServices = { services: [], endpoints: [] };
  if (!spec || !Array.isArray(spec.hosts) || spec.hosts.length === 0) {
    sources.warn(`${describeObject(obj)}: no hosts; ServiceEntry ignored`);
    return out;
  }
  const resolution = RESOLUTIONS[spec.resolution ?? 'NONE'];
  if (resolution === undefined) {
    sources.warn(`${describeObject(obj)}: unknown resolution ${JSON.stringify(spec.resolution)}; ServiceEntry ignored`);
    return out;
  }
  const ports: (ServicePort & { targetNumber?: number })[] = [];
  for (const p of spec.ports ?? []) {
    if (!p || !Number.isInteger(p.number) || p.number < 1 || p.number > 65535) {
      sources.warn(`${describeObject(obj)}: port ${JSON.stringify(p?.number)} is not a port number; port ignored`);
      continue;
    }
    const port: ServicePort = { name: p.name ?? '', port: p.number, protocol: declaredPortProtocol(p) };
    if (p.targetPort !== undefined) port.targetPort = p.targetPort;
    ports.push(port);
  }
  const selector = spec.workloadSelector?.labels;
  if (spec.endpoints && spec.endpoints.length > 0 && selector) {
    sources.warn(`${describeObject(obj)}: both endpoints and workloadSelector are set; using endpoints`);
  }
  const { name, namespace } = obj.metadata;
  const seen = new Set<string>();
  for (const host of spec.hosts) {
    if (seen.has(host)) {
      sources.warn(`${describeObject(obj)}: host "${host}" listed twice; duplicate ignored`);
      continue;
    }
    seen.add(host);
    const svc: Service = {
      hostname: host,
      name,
      namespace,
      ports: ports.map((p) => ({ ...p })),
      resolution,
      meshExternal: (spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL',
      labels: obj.metadata.labels ?? {},
      exportTo: normaliseExportTo(spec.exportTo, namespace),
      origin: 'ServiceEntry',
      localIndex: 0,
    };
    if (spec.addresses && spec.addresses.length > 0) svc.address = spec.addresses[0];
    if (selector && !(spec.endpoints && spec.endpoints.length > 0)) svc.selector = selector;
    out.services.push(svc);
    out.endpoints.push(endpointsFor(svc, spec, host, sources));
  }
  return out;
}

function endpointsFor(svc: Service, spec: ServiceEntrySpec, host: string, sources: RegistrySources): Endpoint[] {
  if (spec.endpoints && spec.endpoints.length > 0) {
    return spec.endpoints.flatMap((we) => entryEndpoints(svc, we, sources));
  }
  if (svc.selector) {
    const ns = svc.namespace;
    const selected = [...(sources.entryWorkloads.get(ns) ?? []), ...(sources.podWorkloads.get(ns) ?? [])].filter((w) =>
      selectorMatches(svc.selector, w.labels),
    );
    return selected.flatMap((w) => workloadEndpoints(svc, w));
  }
  if ((svc.resolution === 'DNSLB' || svc.resolution === 'DNSRoundRobinLB') && !host.startsWith('*')) {
    return svc.ports.map((p) => baseEndpoint(svc, p, host, targetOf(p), { hostname: host }));
  }
  return [];
}

/** An inline endpoint (a WorkloadEntry spec inside the ServiceEntry). */
function entryEndpoints(svc: Service, we: WorkloadEntrySpec, sources: RegistrySources): Endpoint[] {
  if (!we || !we.address) return [];
  const address = we.address;
  const labels = we.labels ?? {};
  return svc.ports.map((p) => {
    const extra: Partial<Endpoint> = {
      labels,
      serviceAccount: we.serviceAccount || 'default',
      locality: we.locality ?? '',
      network: sources.networkOf(svc.namespace, labels, we.network),
    };
    if (we.weight !== undefined) extra.weight = we.weight;
    if (isHostname(address)) extra.hostname = address;
    return baseEndpoint(svc, p, address, we.ports?.[p.name] ?? targetOf(p), extra);
  });
}

/** A WorkloadEntry object or a local pod selected by workloadSelector. */
function workloadEndpoints(svc: Service, w: LocalWorkload): Endpoint[] {
  return svc.ports.map((p) => {
    const extra: Partial<Endpoint> = {
      labels: w.labels,
      serviceAccount: w.serviceAccount,
      locality: w.locality,
      network: w.network,
      workloadName: w.name,
      healthy: w.healthy,
    };
    if (isHostname(w.address)) extra.hostname = w.address;
    // WorkloadEntry ports map by port name; pods serve the targetPort (or the port).
    const port = w.pod ? targetOf(p) : (w.namedPorts[p.name] ?? targetOf(p));
    return baseEndpoint(svc, p, w.address, port, extra);
  });
}

function targetOf(p: ServicePort): number {
  return typeof p.targetPort === 'number' ? p.targetPort : p.port;
}

function isHostname(address: string): boolean {
  return isIP(address) === 0 && !address.startsWith('unix://');
}
