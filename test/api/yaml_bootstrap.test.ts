// YAML bootstraps end to end: anchors, merge keys, duplicate keys, and the
// "file:line: path: message" form every problem is reported in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments, PositionIndex, SourceSyntaxError } from '../../src/api/yaml/source.js';
import { loadErrors, loadText, yaml } from './helpers.js';

const LB_POLICIES = 'ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG';

describe('errors name the file, line and field path', () => {
  it('formats each problem as file:line: path: message', () => {
    const text = yaml(
      'static_resources:', //                                         1
      '  clusters:', //                                               2
      '  - name: web', //                                             3
      '    connect_timeout: 5', //                                  4
      '    lb_policy: ROUND_ROBBIN', //                             5
      '  - name: api', //                                             6
      '    type: STATIK', //                                        7
      '    load_assignment:', //                                    8
      '      cluster_name: api', //                                 9
      '      endpoints:', //                                        10
      '      - lb_endpoints:', //                                   11
      '        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 99999 } } }', // 12
      '    circuit_breakers: { thresholds: [ { priorty: HIGH } ] }', // 13
    );
    assert.deepEqual(loadErrors(text), [
      'bad.yaml:4: static_resources.clusters[0].connect_timeout: expected a duration such as "5s" or "0.25s", got the number 5 (did you mean "5s"?)',
      `bad.yaml:5: static_resources.clusters[0].lb_policy: unknown enum value "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?); envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
      'bad.yaml:7: static_resources.clusters[1].type: unknown enum value "STATIK" (did you mean "STATIC"?); envoy.config.cluster.v3.Cluster.DiscoveryType has STATIC, STRICT_DNS, LOGICAL_DNS, EDS, ORIGINAL_DST',
      'bad.yaml:12: static_resources.clusters[1].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: value must be at most 65535, got 99999',
      'bad.yaml:13: static_resources.clusters[1].circuit_breakers.thresholds[0].priorty: unknown field "priorty" in envoy.config.cluster.v3.CircuitBreakers.Thresholds (did you mean "priority"?)',
    ]);
  });

  it('places a missing required field at the message that lacks it', () => {
    const text = yaml(
      'static_resources:',
      '  listeners:',
      '  - name: l',
      '    address: { socket_address: { address: 0.0.0.0, port_value: 80 } }',
      '    filter_chains:',
      '    - filters:',
      '      - name: envoy.filters.network.http_connection_manager',
      '        typed_config:', // 8
      '          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      '          route_config: {}',
    );
    assert.deepEqual(loadErrors(text), [
      'bad.yaml:8: static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix: ' +
        'field "stat_prefix" is required in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    ]);
  });

  it('reads JSON files (one line) with camelCase names', () => {
    const json = JSON.stringify({ staticResources: { clusters: [{ name: 'a', connectTimeout: '1s', lbPolicy: 'BAD' }] } });
    assert.deepEqual(loadErrors(json, 'bad.json'), [
      `bad.json:1: static_resources.clusters[0].lb_policy: unknown enum value "BAD"; envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
    ]);
  });

  it('treats an empty file as an empty bootstrap and rejects a non-object', () => {
    assert.deepEqual(loadText('').bootstrap, {});
    assert.deepEqual(loadText('# just a comment\n').bootstrap, {});
    assert.deepEqual(loadErrors('5\n'), ['bad.yaml:1: expected an object (envoy.config.bootstrap.v3.Bootstrap), got the number 5']);
  });

  it('reads `~` and `null` as unset', () => {
    const { bootstrap } = loadText(yaml('admin: ~', 'static_resources:', '  clusters:', '  - name: a', '    lb_policy: null'));
    assert.deepEqual(bootstrap, { static_resources: { clusters: [{ name: 'a' }] } });
  });
});

describe('YAML syntax', () => {
  it('rejects duplicate keys as a syntax error naming the key and line', () => {
    const text = yaml('static_resources:', '  clusters:', '  - name: a', '    connect_timeout: 1s', '    name: b');
    assert.deepEqual(loadErrors(text), ['bad.yaml:5: duplicate key "name" (YAML map keys must be unique)']);
    assert.deepEqual(loadErrors(yaml('node: { id: a, id: b }')), ['bad.yaml:1: duplicate key "id" (YAML map keys must be unique)']);
  });

  it('reports malformed YAML with its line', () => {
    assert.deepEqual(loadErrors(yaml('static_resources:', '  clusters: [ {name: a ]', 'admin: {}')), [
      'bad.yaml:2: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
    assert.deepEqual(loadErrors(yaml('static_resources:', '\tclusters: []')), ['bad.yaml:2: Tabs are not allowed as indentation']);
    assert.deepEqual(loadErrors(yaml('static_resources:', '  clusters:', '  - name: a', '   connect_timeout: 1s')), [
      'bad.yaml:4: Sequence item without - indicator',
    ]);
  });

  it('rejects a second document', () => {
    assert.deepEqual(loadErrors(yaml('node: { id: a }', '---', 'node: { id: b }')), ['bad.yaml:3: expected one YAML document, found 2']);
  });

  it('throws SourceSyntaxError with the position and the bare reason', () => {
    assert.throws(
      () => parseYamlDocuments('a: 1\na: 2\n', new PositionIndex(), 'x.yaml'),
      (err: unknown) => err instanceof SourceSyntaxError && err.reason === 'duplicate key "a" (YAML map keys must be unique)' && err.span.line === 2,
    );
  });
});

describe('anchors and merge keys', () => {
  const base = [
    'static_resources:', //                      1
    '  clusters:', //                            2
    '  - &web', //                               3
    '    name: web', //                          4
    '    connect_timeout: 0.25s', //             5
    '    lb_policy: RANDOM', //                  6
  ];

  it('expands aliases and `<<` merge keys; explicit keys win over merged ones', () => {
    const { bootstrap } = loadText(yaml(...base, '  - <<: *web', '    name: api', '    lb_policy: MAGLEV'));
    assert.deepEqual(bootstrap.static_resources?.clusters, [
      { name: 'web', connect_timeout: { nanos: 250_000_000 }, lb_policy: 'RANDOM' },
      { name: 'api', connect_timeout: { nanos: 250_000_000 }, lb_policy: 'MAGLEV' },
    ]);
  });

  it('merges a list of maps, earlier maps first', () => {
    const text = yaml(
      'node:',
      '  id: n',
      '  metadata:',
      '    a: &a { x: 1, y: 1 }',
      '    b: &b { y: 2, z: 2 }',
      '    c: { <<: [*a, *b], w: 0 }',
    );
    assert.deepEqual((loadText(text).bootstrap.node?.metadata as Record<string, unknown>).c, { x: 1, y: 1, z: 2, w: 0 });
  });

  it('reports a problem in a merged value at the line where it was written', () => {
    const text = yaml(...base.slice(0, 5), '    lb_policy: RANDUM', '  - <<: *web', '    name: api');
    assert.deepEqual(loadErrors(text), [
      `bad.yaml:6: static_resources.clusters[0].lb_policy: unknown enum value "RANDUM" (did you mean "RANDOM"?); envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
      `bad.yaml:6: static_resources.clusters[1].lb_policy: unknown enum value "RANDUM" (did you mean "RANDOM"?); envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
    ]);
  });

  it('keeps the written text of numbers read into string fields', () => {
    const text = yaml('node:', '  id: 1.10', '  cluster: 010', '  metadata: { version: 1.10 }');
    const node = loadText(text).bootstrap.node;
    assert.equal(node?.id, '1.10');
    assert.equal(node?.cluster, '010');
    assert.deepEqual(node?.metadata, { version: 1.1 }); // Struct values stay JSON numbers
  });
});
