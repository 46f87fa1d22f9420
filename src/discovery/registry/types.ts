// What the registry reads besides config objects, and what it produces.
import type { Endpoint, Service, Workload } from '../model/types.js';

/**
 * A pod of the local mesh (`skein mesh up`), as the mesh supervisor runs it. Its
 * addresses come from local_addresses.ts: pod IP podIp(index), app address
 * appAddress(index).
 */
export interface LocalPod {
  name: string;
  namespace: string;
  /** Local pod index (see local_addresses.ts). */
  index: number;
  labels: Record<string, string>;
  /** Plain Kubernetes service account name ("default" when empty). */
  serviceAccount: string;
  /** Container ports by name, for named targetPorts. */
  namedPorts: Record<string, number>;
  healthy: boolean;
  /** The Deployment the pod belongs to. */
  deployment?: string;
}

/** The registry's view of the mesh at one moment. */
export interface Registry {
  /** Sorted by hostname, then namespace. */
  services: Service[];
  /** Endpoints by `${hostname}|${servicePort}`, each list sorted by address then port. */
  endpoints: Map<string, Endpoint[]>;
  /** Local pods then WorkloadEntries, sorted by namespace then name. */
  workloads: Workload[];
  warnings: string[];
}

export function endpointKey(hostname: string, servicePort: number): string {
  return `${hostname}|${servicePort}`;
}
