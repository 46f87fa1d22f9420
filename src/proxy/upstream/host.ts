// An upstream host as the data plane sees it: where to connect, how much traffic it
// should get, whether it is healthy, and live counters the load balancers read.
import type { envoy } from '../../api/envoy-types.generated.js';

export type HealthFlag = 'failed_active_hc' | 'failed_outlier_check' | 'failed_eds_health' | 'degraded_eds_health' | 'pending_dynamic_removal' | 'pending_active_hc' | 'excluded_via_immediate_hc_fail' | 'active_hc_timeout' | 'degraded_active_hc';

/** Immutable description of a host, produced by cluster discovery and shipped to workers. */
export interface HostDescription {
  /** IP (or path for pipes). */
  ip: string;
  port: number;
  /** DNS name the host came from (LOGICAL_DNS / STRICT_DNS / EDS hostname), or ''. */
  hostname: string;
  weight: number;
  priority: number;
  locality?: envoy.config.core.v3.Locality;
  metadata?: envoy.config.core.v3.Metadata;
  /** EDS health status (HEALTHY, UNHEALTHY, DRAINING, DEGRADED, ...). */
  edsHealth?: string;
}

export class Host {
  /** "10.0.0.1:8080" (IPv6 bracketed) — Envoy's address string in /clusters and logs. */
  readonly address: string;
  readonly healthFlags = new Set<HealthFlag>();
  /** Requests in flight to this host (least-request LB reads it). */
  activeRequests = 0;
  activeConnections = 0;
  /** Counters shown per host in admin /clusters. */
  readonly counters = { cx_total: 0, cx_connect_fail: 0, rq_total: 0, rq_error: 0, rq_success: 0, rq_timeout: 0 };

  constructor(readonly description: HostDescription) {
    this.address = description.ip.includes(':') ? `[${description.ip}]:${description.port}` : `${description.ip}:${description.port}`;
    if (description.edsHealth === 'UNHEALTHY' || description.edsHealth === 'DRAINING' || description.edsHealth === 'TIMEOUT') {
      this.healthFlags.add('failed_eds_health');
    } else if (description.edsHealth === 'DEGRADED') {
      this.healthFlags.add('degraded_eds_health');
    }
  }

  get ip(): string {
    return this.description.ip;
  }
  get port(): number {
    return this.description.port;
  }
  get hostname(): string {
    return this.description.hostname;
  }
  get weight(): number {
    return this.description.weight;
  }
  get priority(): number {
    return this.description.priority;
  }

  healthy(): boolean {
    for (const f of this.healthFlags) if (f !== 'degraded_eds_health' && f !== 'degraded_active_hc') return false;
    return true;
  }

  degraded(): boolean {
    return this.healthFlags.has('degraded_eds_health') || this.healthFlags.has('degraded_active_hc');
  }
}
