// Which services a sidecar gets config for: every service visible from its namespace
// (exportTo applied), or — when a Sidecar resource applies to the workload — only those
// its egress hosts name ("ns/host": "./*" its own namespace, "*/*" everything,
// "istio-system/*", "*/catalog.shop.svc.cluster.local", "~/*" nothing).
import type { SidecarSpec } from '../../api/istio/types.js';
import { hostMatches } from '../model/hosts.js';
import type { NamedConfig, Service } from '../model/types.js';
import type { TranslateContext } from './context.js';

function egressHostMatches(ctx: TranslateContext, sidecar: NamedConfig<SidecarSpec>, entry: string, svc: Service): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) {
    ctx.warn(sidecar, `egress host "${entry}" must be written "namespace/host"; ignored`);
    return false;
  }
  let ns = entry.slice(0, slash);
  const host = entry.slice(slash + 1);
  if (ns === '~') return false;
  if (ns === '.') ns = sidecar.metadata.namespace;
  if (ns !== '*' && ns !== svc.namespace) return false;
  const pattern = ctx.resolveHost(host, sidecar.metadata.namespace);
  return hostMatches(pattern, svc.hostname);
}

export function servicesInScope(ctx: TranslateContext): readonly Service[] {
  const visible = ctx.push.servicesVisibleFrom(ctx.proxy.namespace);
  const sidecar = ctx.push.sidecarFor(ctx.proxy.namespace, ctx.proxy.labels);
  const egress = sidecar?.spec.egress?.filter((e) => e && Array.isArray(e.hosts));
  if (!sidecar || !egress?.length) return visible;
  return visible.filter((svc) =>
    egress.some((e) => (!e.port?.number || svc.ports.some((p) => p.port === e.port!.number)) && e.hosts.some((h) => typeof h === 'string' && egressHostMatches(ctx, sidecar, h, svc))),
  );
}
