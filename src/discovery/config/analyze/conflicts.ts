// Two VirtualServices claiming the same host on the same gateway (or both on the
// mesh): only one of them takes effect, decided by creation order — file order here.
// Istio reports this for the mesh gateway as IST0109; skein reports it for every
// gateway, with the same code, since on a gateway it is as surely a mistake.
import { AnalysisContext, resolveGateway, resolveHost } from './context.js';
import { MESSAGE_TYPES, messageFor, type AnalysisMessage } from './messages.js';

export function checkConflictingHosts(ctx: AnalysisContext): AnalysisMessage[] {
  type Claim = { vs: (typeof ctx.virtualServices)[number]; hostIndex: number };
  const claims = new Map<string, Claim[]>();
  for (const vs of ctx.virtualServices) {
    const ns = vs.metadata.namespace;
    const gateways = vs.spec.gateways?.length ? vs.spec.gateways : ['mesh'];
    for (const gateway of new Set(gateways.map((g) => resolveGateway(g, ns)))) {
      (vs.spec.hosts ?? []).forEach((host, hostIndex) => {
        const key = `${gateway}\n${resolveHost(host, ns)}`;
        const list = claims.get(key) ?? [];
        if (!list.some((c) => c.vs === vs)) list.push({ vs, hostIndex });
        claims.set(key, list);
      });
    }
  }
  const out: AnalysisMessage[] = [];
  for (const [key, list] of claims) {
    if (list.length < 2) continue;
    const [gateway, host] = key.split('\n') as [string, string];
    const names = list.map((c) => `${c.vs.metadata.namespace}/${c.vs.metadata.name}`).join(',');
    const where = gateway === 'mesh' ? 'mesh gateway' : `gateway ${gateway}`;
    for (const { vs, hostIndex } of list) {
      out.push(
        messageFor(
          MESSAGE_TYPES.ConflictingMeshGatewayVirtualServiceHosts,
          vs,
          ['spec', 'hosts', hostIndex],
          `The VirtualServices ${names} associated with ${where} define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        ),
      );
    }
  }
  return out;
}
