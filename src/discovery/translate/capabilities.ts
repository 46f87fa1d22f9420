// What skein's proxy can take. Istio's generator assumes Envoy; skein's proxy does not
// (yet) have every extension Envoy has, and a resource it cannot build is NACKed, which
// would leave the proxy STALE for everything else in the same push. So translation asks
// here before emitting a feature, and warns instead of emitting what would be refused.
//
// This is a plain list, not a lookup in the proxy's registries, so translation stays a
// pure function of its inputs; a test (test/discovery/translate/capabilities.test.ts)
// checks it against the proxy's registries, so it cannot silently go out of date when
// someone adds a filter.

export interface ProxyCapabilities {
  /** envoy.filters.http.fault (VirtualService `fault`). */
  faultFilter: boolean;
  /** envoy.filters.http.cors (VirtualService `corsPolicy`). */
  corsFilter: boolean;
  /** ORIGINAL_DST clusters (PassthroughCluster, DestinationRule PASSTHROUGH, ServiceEntry resolution NONE). */
  originalDstCluster: boolean;
  /** Pipe addresses (unix domain sockets) for endpoints: a Sidecar ingress `defaultEndpoint: unix://...`. */
  unixDomainSockets: boolean;
}

export const SKEIN_PROXY_CAPABILITIES: Readonly<ProxyCapabilities> = Object.freeze({
  faultFilter: true,
  corsFilter: true,
  originalDstCluster: false,
  unixDomainSockets: false,
});
