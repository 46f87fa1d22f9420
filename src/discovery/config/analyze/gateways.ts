// Gateways and the VirtualServices bound to them: a Gateway whose selector matches no
// workload, a VirtualService naming a Gateway that does not exist, and a
// VirtualService whose hosts no server of its Gateway accepts.
import { AnalysisContext, formatSelector, hostMatches, resolveGateway, resolveHost } from './context.js';
import { MESSAGE_TYPES, messageFor, type AnalysisMessage } from './messages.js';

/** IST0101: the selector matches no workload, so no gateway proxy will ever get this Gateway. */
export function checkGatewaySelectors(ctx: AnalysisContext): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const gw of ctx.gateways.values()) {
    const selector = gw.spec.selector ?? {};
    if (Object.keys(selector).length === 0) continue; // selects every gateway workload
    // Istio looks for gateway pods in every namespace (not only the Gateway's own).
    if (ctx.workloadsMatching(undefined, selector).length) continue;
    out.push(messageFor(MESSAGE_TYPES.ReferencedResourceNotFound, gw, ['spec', 'selector'], `Referenced selector not found: "${formatSelector(selector)}"`));
  }
  return out;
}

/** Every gateway reference of a VirtualService with its field path. */
function gatewayRefs(spec: { gateways?: string[]; http?: { match?: { gateways?: string[] }[] }[]; tls?: { match?: { gateways?: string[] }[] }[]; tcp?: { match?: { gateways?: string[] }[] }[] }) {
  const refs: { ref: string; path: (string | number)[] }[] = [];
  (spec.gateways ?? []).forEach((ref, i) => refs.push({ ref, path: ['spec', 'gateways', i] }));
  for (const section of ['http', 'tls', 'tcp'] as const) {
    (spec[section] ?? []).forEach((rule, r) =>
      (rule.match ?? []).forEach((m, mi) => (m.gateways ?? []).forEach((ref, i) => refs.push({ ref, path: ['spec', section, r, 'match', mi, 'gateways', i] }))),
    );
  }
  return refs;
}

/** IST0101: a VirtualService names a Gateway that does not exist. */
export function checkVirtualServiceGateways(ctx: AnalysisContext): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const vs of ctx.virtualServices) {
    for (const { ref, path } of gatewayRefs(vs.spec)) {
      const key = resolveGateway(ref, vs.metadata.namespace);
      if (key === 'mesh' || ctx.gateways.has(key)) continue;
      out.push(messageFor(MESSAGE_TYPES.ReferencedResourceNotFound, vs, path, `Referenced gateway not found: "${ref}"`));
    }
  }
  return out;
}

/**
 * IST0132: hosts of a VirtualService that no server of its Gateway accepts (the
 * gateway never routes them). Server hosts may be "namespace/host": "*" and "."
 * (the Gateway's own namespace) or a namespace the VirtualService must be in.
 */
export function checkVirtualServiceHostsInGateway(ctx: AnalysisContext): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const vs of ctx.virtualServices) {
    const vsNs = vs.metadata.namespace;
    const hosts = vs.spec.hosts ?? [];
    (vs.spec.gateways ?? []).forEach((ref, i) => {
      const key = resolveGateway(ref, vsNs);
      const gw = ctx.gateways.get(key);
      if (!gw) return;
      const gwHosts = gw.spec.servers.flatMap((s) => s.hosts).flatMap((h) => {
        const slash = h.indexOf('/');
        if (slash < 0) return [h];
        const ns = h.slice(0, slash);
        const visible = ns === '*' || (ns === '.' ? gw.metadata.namespace === vsNs : ns === vsNs);
        return visible ? [h.slice(slash + 1)] : [];
      });
      const missing = hosts.filter((h) => !gwHosts.some((g) => hostMatches(resolveHost(h, vsNs), g) || hostMatches(h, g)));
      if (missing.length === 0) return;
      out.push(
        messageFor(
          MESSAGE_TYPES.VirtualServiceHostNotFoundInGateway,
          vs,
          ['spec', 'gateways', i],
          `one or more host [${missing.join(' ')}] defined in VirtualService ${vsNs}/${vs.metadata.name} not found in Gateway ${key}.`,
        ),
      );
    });
  }
  return out;
}
