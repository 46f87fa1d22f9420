// Endpoints → ClusterLoadAssignment (EDS, and the inline load_assignment of DNS
// clusters): grouped by locality, each endpoint with its weight and health. When a
// DestinationRule turns on locality-aware load balancing (Istio requires outlier
// detection for it), localities get priorities by how close they are to the proxy
// (same zone first, then same region, ...), or the weights `distribute` gives them.
import type { Endpoint } from '../model/types.js';
import { socketAddress, type Json } from './envoy.js';
import type { LocalityLbSetting } from './traffic_policy.js';

interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

export function parseLocality(text: string): Locality {
  const [region = '', zone = '', subzone = ''] = (text ?? '').split('/');
  return { region, zone, subzone };
}

function localityJson(l: Locality): Json | undefined {
  const out: Json = {};
  if (l.region) out.region = l.region;
  if (l.zone) out.zone = l.zone;
  if (l.subzone) out.sub_zone = l.subzone;
  return Object.keys(out).length ? out : undefined;
}

/** Istio's closeness: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
function closeness(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  if (proxy.subzone !== ep.subzone) return 1;
  return 0;
}

/** "region/zone/*" style patterns of `distribute` and `failover`. */
function localityPatternMatches(pattern: string, l: Locality): boolean {
  const parts = pattern.split('/');
  const values = [l.region, l.zone, l.subzone];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '*') return true;
    if (p !== values[i]) return false;
  }
  return true;
}

export interface AssignmentOptions {
  localityLb?: LocalityLbSetting;
  /** The proxy's own "region/zone/subzone". */
  proxyLocality?: string;
}

export function buildLoadAssignment(clusterName: string, endpoints: readonly Endpoint[], options: AssignmentOptions = {}): Json {
  const groups = new Map<string, Endpoint[]>();
  for (const ep of endpoints) {
    const key = ep.locality ?? '';
    const list = groups.get(key);
    if (list) list.push(ep);
    else groups.set(key, [ep]);
  }
  const keys = [...groups.keys()].sort();
  const localities = keys.map((key) => {
    const eps = groups.get(key)!;
    const lbEndpoints = eps.map((ep) => {
      const weight = ep.weight && ep.weight > 0 ? ep.weight : 1;
      const e: Json = { endpoint: { address: socketAddress(ep.hostname ?? ep.address, ep.port) }, health_status: ep.healthy ? 'HEALTHY' : 'UNHEALTHY', load_balancing_weight: weight };
      return e;
    });
    const group: Json = {};
    const loc = localityJson(parseLocality(key));
    if (loc) group.locality = loc;
    group.lb_endpoints = lbEndpoints;
    group.load_balancing_weight = lbEndpoints.reduce((s, e) => s + (e.load_balancing_weight as number), 0);
    return { key, group };
  });
  if (options.localityLb) applyLocalityLb(localities, options.localityLb, parseLocality(options.proxyLocality ?? ''));
  const out: Json = { cluster_name: clusterName };
  const kept = localities.filter((l) => (l.group.load_balancing_weight as number) > 0).map((l) => l.group);
  if (kept.length) out.endpoints = kept;
  return out;
}

function applyLocalityLb(localities: { key: string; group: Json }[], setting: LocalityLbSetting, proxy: Locality): void {
  const rule = setting.distribute?.find((d) => d && localityPatternMatches(d.from, proxy));
  if (rule) {
    // Each `to` entry's weight is shared by the localities it matches.
    const weights = new Map<string, number>();
    for (const [pattern, weight] of Object.entries(rule.to ?? {})) {
      const matching = localities.filter((l) => localityPatternMatches(pattern, parseLocality(l.key)));
      for (const l of matching) weights.set(l.key, (weights.get(l.key) ?? 0) + weight / matching.length);
    }
    for (const l of localities) l.group.load_balancing_weight = Math.round(weights.get(l.key) ?? 0);
    return;
  }
  const failover = setting.failover?.find((f) => f?.from === proxy.region);
  const raw = localities.map((l) => {
    const loc = parseLocality(l.key);
    let p = closeness(proxy, loc);
    if (p === 3 && failover && loc.region !== failover.to) p = 4;
    return p;
  });
  // Envoy wants priorities without gaps: 0, 2, 3 become 0, 1, 2.
  const distinct = [...new Set(raw)].sort((a, b) => a - b);
  localities.forEach((l, i) => {
    const p = distinct.indexOf(raw[i]!);
    if (p > 0) l.group.priority = p;
  });
}
