// What a discovery server is started with, and its defaults (istiod's ports: 15010
// for plaintext xDS, 15014 for monitoring; the debug port stays on loopback).
import type { Logger } from '../../common/logger.js';
import type { MeshConfig, Proxy, ProxyResources, PushContext } from '../model/types.js';
import type { LocalPod } from '../registry/index.js';

export interface DiscoveryServerOptions {
  /** Folders (or files) of Istio / Kubernetes YAML, watched. */
  configPaths: string[];
  /** xDS gRPC port (default 15010; 0 picks a free one). */
  xdsPort?: number;
  /** Address the xDS port binds (default 0.0.0.0). */
  xdsHost?: string;
  /** Debug and monitoring HTTP port (default 15014; 0 picks a free one; negative disables it). */
  debugPort?: number;
  /** Address of the debug port (default 127.0.0.1). */
  debugHost?: string;
  /** Quiet period before a push, after config or pod changes (default 100 ms). */
  debounceMs?: number;
  meshConfig?: Partial<MeshConfig>;
  /** The local mesh's pods at start (later changes through setPods). */
  initialPods?: LocalPod[];
  logger?: Logger;
  /** How long a proxy's config is kept after its last stream closed (default 30 s). */
  forgetAfterMs?: number;
  /** Name in proxy-status's ISTIOD column (default "istiod-<hash>", unique per process). */
  identity?: string;
  /** Translation (default: translate/'s buildProxyResources); a seam for tests and benchmarks. */
  buildResources?: (push: PushContext, proxy: Proxy) => ProxyResources;
}

export interface PushEvent {
  /** The push's number, which is the snapshot version of every type it changed. */
  version: string;
  /** Proxies whose config was regenerated (all known ones, minus any whose new config was refused). */
  proxies: number;
  /** Of those, proxies whose config actually changed (the others are sent nothing). */
  changed: number;
  durationMs: number;
  /** What triggered it: "initial", "config", "pods", or several joined by ", ". */
  reason: string;
  /**
   * "endpoints" when nothing but endpoints changed since the previous push, so only
   * ClusterLoadAssignments were rebuilt (each proxy's other resources reused); "full"
   * when every proxy's config was translated again.
   */
  scope: 'endpoints' | 'full';
}

export const DEFAULTS = {
  xdsPort: 15010,
  xdsHost: '0.0.0.0',
  debugPort: 15014,
  debugHost: '127.0.0.1',
  debounceMs: 100,
  forgetAfterMs: 30_000,
} as const;
