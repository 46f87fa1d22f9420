// Translation: (PushContext, Proxy) → the Envoy resources that proxy needs, built the
// way istiod builds them (names, defaults and shapes from Istio 1.17, as the seeds'
// istioctl output shows). Pure: no I/O, no clock, no randomness; the same inputs give
// the same output, sorted by name. Odd input never throws: the piece is skipped and a
// warning names the object and its file:line (ProxyResources.warnings).
//
// Output is proto3-JSON-shaped (what `skein proxy-config -o json` and a YAML config
// show); decodeProxyResources() turns it into the in-memory messages the xDS cache
// packs, validating every resource on the way.
//
// A TranslationMemo (memo.ts) shares work between the proxies of one push — a
// discovery server translating for many proxies passes one; output is the same.
import type { Proxy, ProxyResources, PushContext } from '../model/types.js';
import { blackholeCluster, buildOutboundClusters, edsAssignment, passthroughCluster, type OutboundClusters } from './clusters.js';
import { TranslateContext, type TranslateOptions } from './context.js';
import { byName, type Json } from './envoy.js';
import { buildGatewayResources } from './gateway.js';
import { MemoContext, sharedOutboundClusters, type TranslationMemo } from './memo.js';
import { referencedClusters } from './references.js';
import { buildLocalSidecar } from './sidecar_local.js';
import { sidecarScope } from './sidecar_scope.js';

import { decodeProxyResources } from './decode.js';

export { decodeProxyResources, decodeResource, decodeXdsResource, ResourceDecodeError } from './decode.js';
export { SKEIN_PROXY_CAPABILITIES, type ProxyCapabilities } from './capabilities.js';
export type { TranslateOptions } from './context.js';
export { TranslationMemo, sharedTranslationKey, endpointsOnlyInEds, rebuildAssignments, type EndpointPlan } from './memo.js';
export * from './names.js';

export interface BuildOptions extends TranslateOptions {
  /**
   * Work shared with other translations of the same push (its options apply, so
   * `capabilities` must not be given with it). Results then share objects with each
   * other: treat them as read-only. memo.endpointPlan(result) tells what the
   * ClusterLoadAssignments were built from.
   */
  memo?: TranslationMemo;
}

/**
 * buildProxyResources, decoded into the in-memory messages the xDS cache packs
 * (Snapshot.fromResources): what a discovery server serves. Throws ResourceDecodeError
 * if translation ever produced a resource Envoy's schema refuses.
 */
export function buildXdsResources(push: PushContext, proxy: Proxy, options: TranslateOptions = {}): ProxyResources {
  return decodeProxyResources(buildProxyResources(push, proxy, options));
}

export function buildProxyResources(push: PushContext, proxy: Proxy, options: BuildOptions = {}): ProxyResources {
  const memo = options.memo;
  if (memo && memo.push !== push) throw new Error('buildProxyResources: the TranslationMemo belongs to another PushContext');
  if (memo && options.capabilities) throw new Error('buildProxyResources: with a TranslationMemo, capabilities are the memo\'s');
  const ctx = memo ? new MemoContext(push, proxy, memo) : new TranslateContext(push, proxy, options);
  const outboundClusters = (services: Parameters<typeof buildOutboundClusters>[1], wanted?: ReadonlySet<string>): OutboundClusters =>
    ctx instanceof MemoContext && !wanted ? sharedOutboundClusters(ctx, services) : buildOutboundClusters(ctx, services, wanted);
  const listeners: Json[] = [];
  const routes: Json[] = [];
  const clusters: Json[] = [];
  let outbound;
  if (proxy.type === 'router') {
    const gw = buildGatewayResources(ctx);
    listeners.push(...gw.listeners);
    routes.push(...gw.routes);
    const wanted = ctx.mesh.filterGatewayClusterConfig ? referencedClusters(gw.listeners, gw.routes) : undefined;
    outbound = outboundClusters(push.servicesVisibleFrom(proxy.namespace), wanted);
  } else {
    const scope = sidecarScope(ctx);
    if (proxy.localPodIndex !== undefined) {
      const local = buildLocalSidecar(ctx, scope, proxy.localPodIndex);
      listeners.push(...local.listeners);
      routes.push(...local.routes);
      clusters.push(...local.clusters);
    } else {
      ctx.warn(undefined, 'sidecars outside the local mesh (iptables capture) are not supported yet: it gets clusters and endpoints but no listeners');
    }
    outbound = outboundClusters(scope.services);
    const passthrough = passthroughCluster(ctx);
    if (passthrough) clusters.push(passthrough);
  }
  clusters.push(...outbound.clusters, blackholeCluster(ctx));
  const endpoints = outbound.eds.map((e) => (ctx instanceof MemoContext ? ctx.memo.sharedAssignment(ctx, e) : edsAssignment(ctx, e)));
  const result: ProxyResources = {
    listeners: listeners.sort(byName),
    routes: routes.sort(byName),
    clusters: clusters.sort(byName),
    endpoints: endpoints.sort(byName),
    secrets: ctx.secrets.all().sort(byName),
    warnings: ctx.warnings,
  };
  memo?.recordPlan(result, outbound.eds);
  return result;
}
