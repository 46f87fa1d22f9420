// ClusterLoadAssignment → the (unresolved) endpoint list every discovery type shares.
import net from 'node:net';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { unwrap } from '../../../api/json/wkt.js';
import type { HostDescription } from '../host.js';

export interface EndpointSpec {
  /** IP or DNS name as configured. */
  address: string;
  port: number;
  hostname: string;
  weight: number;
  priority: number;
  locality?: envoy.config.core.v3.Locality;
  metadata?: envoy.config.core.v3.Metadata;
  edsHealth?: string;
  path: string;
  /** The config object the endpoint came from (for file:line in errors). */
  source: object;
}

export function endpointsOf(assignment: envoy.config.endpoint.v3.ClusterLoadAssignment | undefined, path: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  (assignment?.endpoints ?? []).forEach((locality, li) => {
    (locality.lb_endpoints ?? []).forEach((lbe, ei) => {
      const at = `${path}.endpoints[${li}].lb_endpoints[${ei}]`;
      const sock = lbe.endpoint?.address?.socket_address;
      if (!sock) {
        if (lbe.endpoint_name) throw ConfigError.single(at, 'named endpoints (endpoint_name) are not supported', spanOf(lbe));
        throw ConfigError.single(`${at}.endpoint.address`, 'an endpoint needs a socket_address', spanOf(lbe));
      }
      if (sock.port_value === undefined) {
        throw ConfigError.single(`${at}.endpoint.address.socket_address.port_value`, 'port_value is required for an upstream endpoint', spanOf(sock));
      }
      out.push({
        address: sock.address ?? '',
        port: sock.port_value,
        hostname: lbe.endpoint?.hostname ?? '',
        weight: unwrap(lbe.load_balancing_weight, 1),
        priority: locality.priority ?? 0,
        locality: locality.locality,
        metadata: lbe.metadata,
        edsHealth: lbe.health_status,
        path: at,
        source: lbe,
      });
    });
  });
  return out;
}

export function describeResolved(spec: EndpointSpec, ip: string, hostname: string): HostDescription {
  return {
    ip,
    port: spec.port,
    hostname,
    weight: spec.weight,
    priority: spec.priority,
    locality: spec.locality,
    metadata: spec.metadata,
    edsHealth: spec.edsHealth,
  };
}

export function isIpAddress(a: string): boolean {
  return net.isIP(a) !== 0;
}
