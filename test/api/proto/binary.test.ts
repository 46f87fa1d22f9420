// Protobuf binary ⇄ in-memory messages: what xDS decodes must equal what YAML parses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readMessageFromJson } from '../../../src/api/json/from-json.js';
import { messageFromBinary, messageToBinary, packAny, unpackAny } from '../../../src/api/proto/binary.js';
import { parseYamlDocument, PositionIndex } from '../../../src/api/yaml/source.js';

function fromYaml<T>(type: string, yaml: string): T {
  const doc = parseYamlDocument(yaml, new PositionIndex());
  return readMessageFromJson<T>(type, doc.value).message;
}

const LISTENER = `
name: web
address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
filter_chains:
- filters:
  - name: envoy.filters.network.http_connection_manager
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
      stat_prefix: http
      stream_idle_timeout: 0.25s
      use_remote_address: true
      rds: { route_config_name: http.8080, config_source: { ads: {}, resource_api_version: V3 } }
      http_filters:
      - name: envoy.filters.http.router
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
metadata:
  filter_metadata:
    istio: { config: /apis/networking.istio.io/v1alpha3/namespaces/x/gateway/y, list: [1, "two", true, null, { n: 1.5 }] }
`;

describe('protobuf binary conversion', () => {
  it('a listener survives YAML → binary → in-memory unchanged (Any, Duration, wrappers, Struct)', () => {
    const parsed = fromYaml<Record<string, unknown>>('envoy.config.listener.v3.Listener', LISTENER);
    const bytes = messageToBinary('envoy.config.listener.v3.Listener', parsed);
    const decoded = messageFromBinary('envoy.config.listener.v3.Listener', bytes);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded)), JSON.parse(JSON.stringify(parsed)));
  });

  it('packs and unpacks Any resources by type URL', () => {
    const cluster = fromYaml<Record<string, unknown>>('envoy.config.cluster.v3.Cluster', 'name: c\nconnect_timeout: 1s\ntype: EDS\neds_cluster_config: { eds_config: { ads: {} } }\nlb_policy: LEAST_REQUEST');
    const any = packAny({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...cluster });
    assert.equal(any.type_url, 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    const back = unpackAny(any);
    assert.equal(back['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    assert.equal(back.lb_policy, 'LEAST_REQUEST');
    assert.deepEqual(back.connect_timeout, { seconds: 1 });
  });

  it('int64 values and bytes come back as numbers and Buffers', () => {
    const msg = { name: 's', tls_certificate: { certificate_chain: { inline_bytes: Buffer.from('PEM') } } };
    const back = messageFromBinary<any>('envoy.extensions.transport_sockets.tls.v3.Secret', messageToBinary('envoy.extensions.transport_sockets.tls.v3.Secret', msg));
    assert.ok(Buffer.isBuffer(back.tls_certificate.certificate_chain.inline_bytes));
    assert.equal(back.tls_certificate.certificate_chain.inline_bytes.toString(), 'PEM');
    const route = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { host_selection_retry_max_attempts: 5 } } }] }] };
    const r = messageFromBinary<any>('envoy.config.route.v3.RouteConfiguration', messageToBinary('envoy.config.route.v3.RouteConfiguration', route));
    assert.equal(r.virtual_hosts[0].routes[0].route.retry_policy.host_selection_retry_max_attempts, 5);
  });
});
