// Where VirtualServices send traffic: a destination host no Service or ServiceEntry
// defines, a port the service does not have, a multi-port service reached from a
// gateway without a port, and a subset no DestinationRule defines for that host.
import type { Destination, VirtualServiceSpec } from '../../../api/istio/types.js';
import { AnalysisContext, hostMatches, resolveHost } from './context.js';
import { MESSAGE_TYPES, messageFor, type AnalysisMessage } from './messages.js';

interface DestinationRef {
  destination: Destination;
  path: (string | number)[];
}

/** Every destination of a VirtualService (routes and mirrors), with its field path. */
export function destinationsOf(spec: VirtualServiceSpec): DestinationRef[] {
  const out: DestinationRef[] = [];
  (spec.http ?? []).forEach((rule, r) => {
    const base = ['spec', 'http', r];
    (rule.route ?? []).forEach((d, i) => out.push({ destination: d.destination, path: [...base, 'route', i, 'destination'] }));
    if (rule.mirror) out.push({ destination: rule.mirror, path: [...base, 'mirror'] });
    (rule.mirrors ?? []).forEach((m, i) => out.push({ destination: m.destination, path: [...base, 'mirrors', i, 'destination'] }));
  });
  for (const section of ['tls', 'tcp'] as const) {
    (spec[section] ?? []).forEach((rule, r) =>
      (rule.route ?? []).forEach((d, i) => out.push({ destination: d.destination, path: ['spec', section, r, 'route', i, 'destination'] })),
    );
  }
  return out;
}

export function checkDestinations(ctx: AnalysisContext): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const vs of ctx.virtualServices) {
    const ns = vs.metadata.namespace;
    // Sidecars route by the port the request came in on; a gateway has to be told.
    const fromGateway = (vs.spec.gateways ?? []).some((g) => g !== 'mesh');
    for (const { destination: d, path } of destinationsOf(vs.spec)) {
      if (d.host.includes('*')) continue;
      const fqdn = resolveHost(d.host, ns);
      const service = ctx.findService(fqdn);
      if (!service) {
        out.push(messageFor(MESSAGE_TYPES.ReferencedResourceNotFound, vs, [...path, 'host'], `Referenced host not found: "${d.host}"`));
        continue;
      }
      if (d.port && service.ports.length && !service.ports.includes(d.port.number)) {
        out.push(messageFor(MESSAGE_TYPES.ReferencedResourceNotFound, vs, [...path, 'port', 'number'], `Referenced host:port not found: "${d.host}:${d.port.number}"`));
      } else if (!d.port && fromGateway && service.ports.length > 1) {
        out.push(
          messageFor(
            MESSAGE_TYPES.VirtualServiceDestinationPortSelectorRequired,
            vs,
            [...path, 'host'],
            `This VirtualService routes to a service "${d.host}" that exposes multiple ports [${service.ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
          ),
        );
      }
      if (d.subset && !subsetsFor(ctx, fqdn).has(d.subset)) {
        out.push(
          messageFor(MESSAGE_TYPES.ReferencedResourceNotFound, vs, [...path, 'subset'], `Referenced host+subset in destinationrule not found: "${d.host}+${d.subset}"`),
        );
      }
    }
  }
  return out;
}

/** Subset names the DestinationRules for `fqdn` define (any namespace; wildcard hosts count). */
function subsetsFor(ctx: AnalysisContext, fqdn: string): Set<string> {
  const names = new Set<string>();
  for (const dr of ctx.destinationRules) {
    const host = resolveHost(dr.spec.host, dr.metadata.namespace);
    if (host !== fqdn && !(host.startsWith('*') && hostMatches(host, fqdn))) continue;
    for (const s of dr.spec.subsets ?? []) names.add(s.name);
  }
  return names;
}
