// The lookups every part of the registry needs, indexed once per build: local pods
// and WorkloadEntries by namespace, EndpointSlices by the service they belong to,
// Node and Namespace labels (for locality and network).
import type { ConfigObject } from '../../api/istio/types.js';
import { appAddress, podIp } from '../model/local_addresses.js';
import type { Workload } from '../model/types.js';
import type { LocalPod } from './types.js';
import { describe as describeObject } from '../model/describe.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const REGION_LABEL = 'topology.kubernetes.io/region';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SUBZONE_LABEL = 'topology.istio.io/subzone';
const NETWORK_LABEL = 'topology.istio.io/network';
/** Istio's pod label overriding locality: "region.zone.subzone" (dots, since '/' is not allowed in label values). */
const ISTIO_LOCALITY_LABEL = 'istio-locality';

export interface LocalWorkload extends Workload {
  /** For pods, the pod itself (its named ports are also on Workload.namedPorts). */
  pod?: LocalPod;
}

export class RegistrySources {
  readonly warnings: string[] = [];
  /** Local pods (valid index) as workloads, by namespace. */
  readonly podWorkloads = new Map<string, LocalWorkload[]>();
  /** WorkloadEntries as workloads, by namespace. */
  readonly entryWorkloads = new Map<string, LocalWorkload[]>();
  readonly podsByName = new Map<string, LocalPod>();
  readonly slicesByService = new Map<string, ConfigObject<'EndpointSlice'>[]>();
  readonly endpointsObjects = new Map<string, ConfigObject<'Endpoints'>>();
  private readonly nodeLabels = new Map<string, Record<string, string>>();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();

  constructor(objects: readonly ConfigObject[], pods: readonly LocalPod[]) {
    for (const obj of objects) {
      const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
      switch (obj.kind) {
        case 'Node':
          this.nodeLabels.set(obj.metadata.name, obj.metadata.labels ?? {});
          break;
        case 'Namespace':
          this.namespaceLabels.set(obj.metadata.name, obj.metadata.labels ?? {});
          break;
        case 'EndpointSlice': {
          const svc = obj.metadata.labels?.[SERVICE_NAME_LABEL];
          if (!svc) {
            this.warn(`${describeObject(obj)}: no ${SERVICE_NAME_LABEL} label; ignored`);
            break;
          }
          push(this.slicesByService, `${obj.metadata.namespace}/${svc}`, obj as ConfigObject<'EndpointSlice'>);
          break;
        }
        case 'Endpoints':
          this.endpointsObjects.set(key, obj as ConfigObject<'Endpoints'>);
          break;
      }
    }
    for (const obj of objects) {
      if (obj.kind === 'WorkloadEntry') this.addWorkloadEntry(obj as ConfigObject<'WorkloadEntry'>);
    }
    for (const pod of pods) this.addPod(pod);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  labelsOfNamespace(namespace: string): Record<string, string> {
    return this.namespaceLabels.get(namespace) ?? {};
  }

  /** Locality "region/zone/subzone" of a Node object, or "" when it has no topology labels. */
  nodeLocality(nodeName: string | undefined, zoneOverride?: string): string {
    const labels = nodeName ? this.nodeLabels.get(nodeName) ?? {} : {};
    const region = labels[REGION_LABEL] ?? '';
    const zone = zoneOverride ?? labels[ZONE_LABEL] ?? '';
    const sub = labels[SUBZONE_LABEL] ?? '';
    return region === '' && zone === '' && sub === '' ? '' : `${region}/${zone}/${sub}`;
  }

  /** The network of a workload: its own label, else its namespace's, else "". */
  networkOf(namespace: string, labels: Record<string, string>, explicit?: string): string {
    return explicit || labels[NETWORK_LABEL] || this.labelsOfNamespace(namespace)[NETWORK_LABEL] || '';
  }

  allWorkloads(): LocalWorkload[] {
    const all = [...[...this.podWorkloads.values()].flat(), ...[...this.entryWorkloads.values()].flat()];
    return all.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.address, b.address));
  }

  private addPod(pod: LocalPod): void {
    let address: string;
    let app: string;
    try {
      address = podIp(pod.index);
      app = appAddress(pod.index);
    } catch (err) {
      this.warn(`pod ${pod.namespace}/${pod.name}: ${(err as Error).message}; pod ignored`);
      return;
    }
    const labels = pod.labels ?? {};
    const workload: LocalWorkload = {
      name: pod.name,
      namespace: pod.namespace,
      address,
      appAddress: app,
      labels,
      serviceAccount: pod.serviceAccount || 'default',
      locality: podLocality(labels),
      network: this.networkOf(pod.namespace, labels),
      namedPorts: pod.namedPorts ?? {},
      healthy: pod.healthy,
      pod,
    };
    push(this.podWorkloads, pod.namespace, workload);
    this.podsByName.set(`${pod.namespace}/${pod.name}`, pod);
  }

  private addWorkloadEntry(obj: ConfigObject<'WorkloadEntry'>): void {
    const spec = obj.spec ?? {};
    if (!spec.address) {
      this.warn(`${describeObject(obj)}: no address; WorkloadEntry ignored`);
      return;
    }
    // Istio merges the object's metadata labels over spec.labels (metadata wins).
    const labels = { ...(spec.labels ?? {}), ...(obj.metadata.labels ?? {}) };
    push(this.entryWorkloads, obj.metadata.namespace, {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      address: spec.address,
      labels,
      serviceAccount: spec.serviceAccount || 'default',
      locality: spec.locality ?? '',
      network: this.networkOf(obj.metadata.namespace, labels, spec.network),
      namedPorts: spec.ports ?? {},
      healthy: true,
    });
  }
}

function podLocality(labels: Record<string, string>): string {
  const istio = labels[ISTIO_LOCALITY_LABEL];
  if (istio) return istio.split('.').join('/');
  const region = labels[REGION_LABEL] ?? '';
  const zone = labels[ZONE_LABEL] ?? '';
  const sub = labels[SUBZONE_LABEL] ?? '';
  return region === '' && zone === '' && sub === '' ? '' : `${region}/${zone}/${sub}`;
}

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
