// Translation: (PushContext, Proxy) → the Envoy resources that proxy needs, built the
// way istiod builds them (names, defaults and shapes from Istio 1.17, as the seeds'
// istioctl output shows). Pure: no I/O, no clock, no randomness; the same inputs give
// the same output, sorted by name. Odd input never throws: the piece is skipped and a
// warning names the object and its file:line (ProxyResources.warnings).
//
// Output is proto3-JSON-shaped (what `skein proxy-config -o json` and a YAML config
// show); decodeProxyResources() turns it into the in-memory messages the xDS cache
// packs, validating every resource on the way.
import type { Proxy, ProxyResources, PushContext } from '../model/types.js';
import { blackholeCluster, buildOutboundClusters, edsAssignment, passthroughCluster } from './clusters.js';
import { TranslateContext, type TranslateOptions } from './context.js';
import { byName, type Json } from './envoy.js';
import { buildGatewayResources } from './gateway.js';
import { referencedClusters } from './references.js';
import { buildLocalSidecar } from './sidecar_local.js';
import { sidecarScope } from './sidecar_scope.js';

import { decodeProxyResources } from './decode.js';

export { decodeProxyResources, decodeResource, ResourceDecodeError } from './decode.js';
export { SKEIN_PROXY_CAPABILITIES, type ProxyCapabilities } from './capabilities.js';
export type { TranslateOptions } from './context.js';
export * from './names.js';

/**
 * buildProxyResources, decoded into the in-memory messages the xDS cache packs
 * (Snapshot.fromResources): what a discovery server serves. Throws ResourceDecodeError
 * if translation ever produced a resource Envoy's schema refuses.
 */
export function buildXdsResources(push: PushContext, proxy: Proxy, options: TranslateOptions = {}): ProxyResources {
  return decodeProxyResources(buildProxyResources(push, proxy, options));
}

export function buildProxyResources(push: PushContext, proxy: Proxy, options: TranslateOptions = {}): ProxyResources {
  const ctx = new TranslateContext(push, proxy, options);
  const listeners: Json[] = [];
  const routes: Json[] = [];
  const clusters: Json[] = [];
  let outbound;
  if (proxy.type === 'router') {
    const gw = buildGatewayResources(ctx);
    listeners.push(...gw.listeners);
    routes.push(...gw.routes);
    const wanted = ctx.mesh.filterGatewayClusterConfig ? referencedClusters(gw.listeners, gw.routes) : undefined;
    outbound = buildOutboundClusters(ctx, push.servicesVisibleFrom(proxy.namespace), wanted);
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
    outbound = buildOutboundClusters(ctx, scope.services);
    const passthrough = passthroughCluster(ctx);
    if (passthrough) clusters.push(passthrough);
  }
  clusters.push(...outbound.clusters, blackholeCluster(ctx));
  const endpoints = outbound.eds.map((e) => edsAssignment(ctx, e));
  return {
    listeners: listeners.sort(byName),
    routes: routes.sort(byName),
    clusters: clusters.sort(byName),
    endpoints: endpoints.sort(byName),
    secrets: ctx.secrets.all().sort(byName),
    warnings: ctx.warnings,
  };
}
