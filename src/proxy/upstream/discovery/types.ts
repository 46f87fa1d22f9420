// Cluster discovery: where a cluster's hosts come from (static addresses, DNS, EDS).
// Discovery runs in the process that owns config (the main process) and hands host
// lists to the data plane; the data plane never resolves names itself.
import type { HostDescription } from '../host.js';

export interface ClusterDiscovery {
  /** Starts discovery; `onHosts` gets every new membership (also the first). */
  start(onHosts: (hosts: HostDescription[]) => void): void;
  /** Resolves once the first membership is known (or discovery gave up waiting). */
  readonly initialized: Promise<void>;
  stop(): void;
}
