// The registry: config objects + local pods → Istio's service model. Pure: the same
// input always gives the same output (sorted services, sorted endpoints), so the push
// context built on it hashes to the same version.
import type { ConfigObject } from '../../api/istio/types.js';
import { DEFAULT_DOMAIN_SUFFIX } from '../model/hosts.js';
import type { Endpoint, Service } from '../model/types.js';
import { kubernetesEndpoints, kubernetesService } from './kubernetes.js';
import { assignLocalIndexes } from './local_index.js';
import { serviceEntryServices } from './service_entries.js';
import { cmp, RegistrySources } from './sources.js';
import { endpointKey, type LocalPod, type Registry } from './types.js';
import { describe as describeObject } from '../model/describe.js';

export interface RegistryInput {
  objects: readonly ConfigObject[];
  pods?: readonly LocalPod[];
  domainSuffix?: string;
  /** localIndex by "namespace/hostname" from the previous build (see local_index.ts). */
  previousLocalIndexes?: ReadonlyMap<string, number>;
}

const addressCollator = new Intl.Collator('en', { numeric: true });

export function buildRegistry(input: RegistryInput): Registry {
  const sources = new RegistrySources(input.objects, input.pods ?? []);
  const domainSuffix = input.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX;
  // Kubernetes services first: when a ServiceEntry names the same host in the same
  // namespace, the Kubernetes service is the one kept (as Istio's aggregate registry does).
  const byKey = new Map<string, { svc: Service; endpoints: Endpoint[] }>();
  const add = (obj: ConfigObject, svc: Service, endpoints: Endpoint[]): void => {
    const key = `${svc.namespace}/${svc.hostname}`;
    if (byKey.has(key)) {
      sources.warn(`${describeObject(obj)}: host ${svc.hostname} is already defined in namespace ${svc.namespace}; ignored`);
      return;
    }
    byKey.set(key, { svc, endpoints });
  };
  for (const obj of input.objects) {
    if (obj.kind !== 'Service') continue;
    const svcObj = obj as ConfigObject<'Service'>;
    try {
      const svc = kubernetesService(svcObj, domainSuffix, sources);
      if (svc) add(obj, svc, kubernetesEndpoints(svc, svcObj, sources));
    } catch (err) {
      sources.warn(`${describeObject(obj)}: ${(err as Error).message}; Service ignored`);
    }
  }
  for (const obj of input.objects) {
    if (obj.kind !== 'ServiceEntry') continue;
    try {
      const { services, endpoints } = serviceEntryServices(obj as ConfigObject<'ServiceEntry'>, sources);
      services.forEach((svc, i) => add(obj, svc, endpoints[i]!));
    } catch (err) {
      sources.warn(`${describeObject(obj)}: ${(err as Error).message}; ServiceEntry ignored`);
    }
  }

  const entries = [...byKey.values()].sort((a, b) => cmp(a.svc.hostname, b.svc.hostname) || cmp(a.svc.namespace, b.svc.namespace));
  const services = entries.map((e) => e.svc);
  const warnings = sources.warnings;
  warnings.push(...assignLocalIndexes(services, input.previousLocalIndexes));

  const endpoints = new Map<string, Endpoint[]>();
  for (const { svc, endpoints: eps } of entries) {
    for (const ep of eps) {
      const key = endpointKey(svc.hostname, ep.servicePort);
      const list = endpoints.get(key);
      if (list) list.push(ep);
      else endpoints.set(key, [ep]);
    }
  }
  for (const [key, list] of endpoints) endpoints.set(key, dedupeSorted(list));
  return { services, endpoints, workloads: sources.allWorkloads().map(stripPod), warnings };
}

function dedupeSorted(list: Endpoint[]): Endpoint[] {
  list.sort((a, b) => addressCollator.compare(a.address, b.address) || a.port - b.port || cmp(a.namespace, b.namespace));
  return list.filter((ep, i) => i === 0 || ep.address !== list[i - 1]!.address || ep.port !== list[i - 1]!.port);
}

function stripPod<T extends { pod?: unknown }>(w: T): Omit<T, 'pod'> {
  const { pod: _pod, ...rest } = w;
  return rest;
}
