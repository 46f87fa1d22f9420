// Which services a sidecar gets config for, and through which egress listener. Without
// a Sidecar resource (or one without egress): every service visible from the proxy's
// namespace (exportTo applied). With one, each egress listener imports the services its
// hosts name ("ns/host": "./*" its own namespace, "*/*" everything, "istio-system/*",
// "*/catalog.shop.svc.cluster.local", "~/*" nothing). As in Istio, a listener with a
// port imports only services that have that port, trimmed to it; the proxy gets
// clusters for the union of every listener's services.
//
// In the local mesh a listener is either
//   bound     — it has a port and captureMode NONE: its own listener at `bind`
//               (sidecar_egress.ts), which the app calls explicitly;
//   captured  — no port, or captureMode IPTABLES / DEFAULT: its services get the
//               per-service listeners at the pod's service view addresses
//               (sidecar_outbound.ts), the local stand-in for iptables capture.
import type { SidecarSpec } from '../../api/istio/types.js';
import { hostMatches } from '../model/hosts.js';
import type { NamedConfig, Service, ServicePort } from '../model/types.js';
import { parseProtocol } from '../registry/protocol.js';
import type { TranslateContext } from './context.js';

export type Sidecar = NamedConfig<SidecarSpec>;
export type CaptureMode = 'NONE' | 'IPTABLES';

export interface EgressListener {
  /** "egress[1]", for warnings. */
  where: string;
  /** The listener's port (protocol from the Sidecar, as Istio's protocol.Parse reads it). */
  port?: ServicePort;
  capture: CaptureMode;
  /** `bind` as written. */
  bind?: string;
  /** The services its hosts import; trimmed to `port` when the listener has one. */
  services: Service[];
}

export interface SidecarScope {
  /** The Sidecar resource that applies to the proxy, if any. */
  sidecar?: Sidecar;
  /** Every service the proxy gets clusters for. */
  services: readonly Service[];
  /** Services reached at the pod's service view addresses (captured egress listeners). */
  captured: readonly Service[];
  /** The Sidecar's egress listeners in order (empty without a Sidecar or egress). */
  egress: readonly EgressListener[];
}

function egressHostMatches(ctx: TranslateContext, sidecar: Sidecar, entry: string, svc: Service): boolean {
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

/**
 * Istio's getBindToPort: NONE binds a real listener, IPTABLES expects captured traffic,
 * DEFAULT follows the environment. The local mesh has no iptables, but it stands in for
 * them (service view addresses, the env it gives apps), and YAML written for ordinary
 * clusters means "captured" by DEFAULT — so there DEFAULT is treated as IPTABLES even
 * though the mesh's proxies say INTERCEPTION_MODE NONE. Only an explicit NONE asks the
 * app to talk to the sidecar's own listener.
 */
export function captureModeOf(ctx: TranslateContext, sidecar: Sidecar, where: string, raw: unknown): CaptureMode {
  const proxyDefault: CaptureMode = ctx.proxy.localPodIndex === undefined && ctx.proxy.metadata.INTERCEPTION_MODE === 'NONE' ? 'NONE' : 'IPTABLES';
  if (raw === undefined || raw === null || raw === '' || raw === 'DEFAULT') return proxyDefault;
  if (raw === 'NONE' || raw === 'IPTABLES') return raw;
  ctx.warn(sidecar, `${where}: captureMode ${JSON.stringify(raw)} is not one of DEFAULT, IPTABLES, NONE; treated as DEFAULT`);
  return proxyDefault;
}

/** The Sidecar's `port` as a ServicePort, or undefined (with a warning when it is there but unusable). */
export function sidecarPort(ctx: TranslateContext, sidecar: Sidecar, where: string, raw: unknown): ServicePort | undefined {
  if (raw === undefined || raw === null) return undefined;
  const p = raw as { number?: unknown; protocol?: unknown; name?: unknown };
  if (!Number.isInteger(p.number) || (p.number as number) < 1 || (p.number as number) > 65535) {
    ctx.warn(sidecar, `${where}: port ${JSON.stringify(p.number)} is not a port number; listener skipped`);
    return undefined;
  }
  return {
    name: typeof p.name === 'string' ? p.name : '',
    port: p.number as number,
    protocol: parseProtocol(typeof p.protocol === 'string' ? p.protocol : undefined),
  };
}

function importServices(ctx: TranslateContext, sidecar: Sidecar, visible: readonly Service[], hosts: unknown[], port: ServicePort | undefined): Service[] {
  const out: Service[] = [];
  for (const svc of visible) {
    if (!hosts.some((h) => typeof h === 'string' && egressHostMatches(ctx, sidecar, h, svc))) continue;
    if (!port) {
      out.push(svc);
      continue;
    }
    const own = svc.ports.find((p) => p.port === port.port);
    if (own) out.push({ ...svc, ports: [own] });
  }
  return out;
}

export function sidecarScope(ctx: TranslateContext): SidecarScope {
  const visible = ctx.push.servicesVisibleFrom(ctx.proxy.namespace);
  const sidecar = ctx.push.sidecarFor(ctx.proxy.namespace, ctx.proxy.labels);
  const entries = Array.isArray(sidecar?.spec.egress) ? sidecar.spec.egress : [];
  const egress: EgressListener[] = [];
  entries.forEach((e, i) => {
    if (!e || !Array.isArray(e.hosts)) return;
    const where = `egress[${i}]`;
    const port = sidecarPort(ctx, sidecar!, where, e.port);
    if (e.port != null && !port) return;
    const capture = captureModeOf(ctx, sidecar!, where, e.captureMode);
    const bind = typeof e.bind === 'string' && e.bind !== '' ? e.bind : undefined;
    egress.push({ where, port, capture, bind, services: importServices(ctx, sidecar!, visible, e.hosts, port) });
  });
  if (!sidecar || egress.length === 0) return { sidecar, services: visible, captured: visible, egress: [] };
  warnCatchAllNotLast(ctx, sidecar, egress);
  const captured = egress.filter((l) => !isBound(l));
  return {
    sidecar,
    services: mergeWithVisible(visible, egress.map((l) => l.services)),
    captured: mergeWithVisible(visible, captured.map((l) => l.services)),
    egress,
  };
}

/**
 * The services of several listeners as one list (the registry's order): a service
 * imported by more than one listener keeps the union of the ports they import.
 * Services nothing trimmed stay the registry's own objects.
 */
function mergeWithVisible(visible: readonly Service[], lists: readonly (readonly Service[])[]): Service[] {
  const ports = new Map<string, Set<number>>();
  for (const list of lists) {
    for (const svc of list) {
      const set = ports.get(svc.hostname) ?? new Set<number>();
      svc.ports.forEach((p) => set.add(p.port));
      ports.set(svc.hostname, set);
    }
  }
  return visible.flatMap((svc) => {
    const keep = ports.get(svc.hostname);
    if (!keep) return [];
    return keep.size === svc.ports.length ? [svc] : [{ ...svc, ports: svc.ports.filter((p) => keep.has(p.port)) }];
  });
}

/** A listener that gets a real socket of its own (captureMode NONE with a port). */
export function isBound(l: EgressListener): boolean {
  return l.port !== undefined && l.capture === 'NONE';
}

function warnCatchAllNotLast(ctx: TranslateContext, sidecar: Sidecar, egress: readonly EgressListener[]): void {
  const i = egress.findIndex((l) => !l.port);
  if (i >= 0 && i < egress.length - 1) {
    ctx.warn(sidecar, `${egress[i]!.where}: the egress listener without a port must be the last one (Istio rejects this Sidecar); translated as written`);
  }
}

/**
 * The egress listener whose hosts make route configuration "PORT" — Istio's
 * GetEgressListenerForRDS: the first listener that has this port or no port at all
 * ("the listener with the most specific port" decides the hosts on a port).
 */
export function routeOwner(scope: SidecarScope, port: number): EgressListener | undefined {
  return scope.egress.find((l) => !l.port || l.port.port === port);
}

/** The services route configuration "PORT" holds virtual hosts for (those with that port). */
export function routeServices(scope: SidecarScope, port: number): readonly Service[] {
  const owner = routeOwner(scope, port);
  const pool = owner ? owner.services : scope.captured;
  return pool.filter((s) => s.ports.some((p) => p.port === port));
}
