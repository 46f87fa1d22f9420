// A sidecar-shaped static bootstrap for the formatter tests: the listeners, routes
// and clusters istiod generates for a sidecar (outbound route "80" with the service's
// many domains, a virtualInbound listener with raw_buffer / TLS / passthrough filter
// chains and a default chain to the BlackHoleCluster, a TCP listener), all
// `bind_to_port: false` so nothing is bound. The formatter tests start a real proxy
// from it and read its /config_dump and /clusters, as the CLI does.

const ROUTER = '[ { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } } ]';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const VS = (name: string) => `{ filter_metadata: { istio: { config: /apis/networking.istio.io/v1alpha3/namespaces/istioinaction/virtual-service/${name} } } }`;
const CATALOG_DOMAINS = [
  'catalog.istioinaction.svc.cluster.local', 'catalog.istioinaction.svc.cluster.local:80', 'catalog', 'catalog:80', 'catalog.istioinaction.svc',
  'catalog.istioinaction.svc:80', 'catalog.istioinaction', 'catalog.istioinaction:80', '10.96.0.5', '10.96.0.5:80',
];

function staticCluster(name: string, extra = '', endpoints: Array<[string, number, string?]> = []): string {
  const eps = endpoints.map(([ip, port, health]) => `{ endpoint: { address: { socket_address: { address: ${ip}, port_value: ${port} } } }${health ? `, health_status: ${health}` : ''} }`);
  return `  - { name: "${name}", type: STATIC, connect_timeout: 1s${extra ? `, ${extra}` : ''}${eps.length ? `, load_assignment: { cluster_name: "${name}", endpoints: [ { lb_endpoints: [ ${eps.join(', ')} ] } ] }` : ''} }`;
}

/** `secrets`: extra YAML list items for static_resources.secrets (or ''). */
export function sidecarBootstrap(secrets = ''): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: 0.0.0.0_80
    address: { socket_address: { address: 0.0.0.0, port_value: 80 } }
    bind_to_port: false
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": ${HCM}
          stat_prefix: outbound_0.0.0.0_80
          http_filters: ${ROUTER}
          route_config:
            name: "80"
            virtual_hosts:
            - name: catalog.istioinaction.svc.cluster.local:80
              domains: ${JSON.stringify(CATALOG_DOMAINS)}
              routes:
              - { match: { prefix: /api/catalog }, route: { cluster: "outbound|80|v1|catalog.istioinaction.svc.cluster.local" }, metadata: ${VS('catalog')} }
              - { match: { safe_regex: { regex: "/items/[0-9]+" } }, route: { cluster: "outbound|80||catalog.istioinaction.svc.cluster.local" }, metadata: ${VS('catalog')} }
              - { match: { path: /healthz }, direct_response: { status: 200 } }
            - { name: "blackhole:80", domains: [blocked.example.com] }
            - { name: allow_any, domains: ["*"], routes: [ { match: { prefix: / }, route: { cluster: PassthroughCluster } } ] }
  - name: virtualInbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15006 } }
    bind_to_port: false
    listener_filters:
    - { name: envoy.filters.listener.tls_inspector, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector } }
    filter_chains:
    - filter_chain_match: { destination_port: 8080, transport_protocol: raw_buffer, application_protocols: [http/1.0, http/1.1, h2c] }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": ${HCM}
          stat_prefix: inbound_0.0.0.0_8080
          http_filters: ${ROUTER}
          route_config:
            name: "inbound|8080||"
            virtual_hosts: [ { name: inbound, domains: ["*"], routes: [ { match: { prefix: / }, route: { cluster: "inbound|8080||" } } ] } ]
    - filter_chain_match: { destination_port: 8080, transport_protocol: tls, server_names: [webapp.istioinaction.io] }
      filters: [ { name: envoy.filters.network.tcp_proxy, typed_config: { "@type": ${TCP}, stat_prefix: inbound_tls, cluster: "inbound|8080||" } } ]
    - filter_chain_match: { prefix_ranges: [ { address_prefix: 0.0.0.0, prefix_len: 0 } ] }
      filters: [ { name: envoy.filters.network.tcp_proxy, typed_config: { "@type": ${TCP}, stat_prefix: passthrough, cluster: PassthroughCluster } } ]
    default_filter_chain:
      filters: [ { name: envoy.filters.network.tcp_proxy, typed_config: { "@type": ${TCP}, stat_prefix: blackhole, cluster: BlackHoleCluster } } ]
  - name: 0.0.0.0_31400
    address: { socket_address: { address: 0.0.0.0, port_value: 31400 } }
    bind_to_port: false
    filter_chains:
    - filters: [ { name: envoy.filters.network.tcp_proxy, typed_config: { "@type": ${TCP}, stat_prefix: tcp, cluster: "outbound|31400||tcp-echo.istioinaction.svc.cluster.local" } } ]
  clusters:
${staticCluster('inbound|8080||', '', [['127.2.0.3', 8080]])}
${staticCluster('PassthroughCluster')}
${staticCluster('BlackHoleCluster')}
${staticCluster('outbound|31400||tcp-echo.istioinaction.svc.cluster.local')}
${staticCluster('outbound|80|v1|catalog.istioinaction.svc.cluster.local', 'metadata: { filter_metadata: { istio: { config: /apis/networking.istio.io/v1alpha3/namespaces/istioinaction/destination-rule/catalog } } }', [['10.10.0.15', 3000]])}
${staticCluster('outbound|80||catalog.istioinaction.svc.cluster.local', '', [['10.10.0.15', 3000], ['10.10.0.19', 3000, 'UNHEALTHY']])}
  - { name: zipkin, type: STRICT_DNS, connect_timeout: 1s, load_assignment: { cluster_name: zipkin, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9411 } } } } ] } ] } }
${secrets ? `  secrets:\n${secrets}` : ''}
`;
}
