// One file of an xDS folder: the shapes it may take (one resource, several YAML
// documents, a `resources:` list as Envoy's filesystem subscriptions write it, JSON)
// and the errors, each as "file:line: path: message" like bootstrap errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../../src/api/json/issues.js';
import { parseResourceFile } from '../../../../src/discovery/xds/file_source/parse.js';
import { CLUSTER_URL, cluster, endpoints, ENDPOINT_URL, LISTENER, LISTENER_URL, lines, route, ROUTE_URL } from './fixtures.js';

function errors(text: string, file = 'bad.yaml'): string[] {
  try {
    parseResourceFile(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  assert.fail('expected the file to be rejected');
}

const names = (text: string, file = 'ok.yaml') => parseResourceFile(text, file).resources.map((r) => `${r.typeUrl.split('.').pop()}/${r.name}`);

describe('xDS resource files: shapes', () => {
  it('reads one resource per file, in the in-memory message form', () => {
    const [r] = parseResourceFile(LISTENER, 'listener.yaml').resources;
    assert.equal(r!.name, 'listener_0');
    assert.equal(r!.span.line, 1);
    assert.equal((r!.message.address as any).socket_address.port_value, 10000);
    assert.equal('@type' in r!.message, false);
  });

  it('reads several YAML documents', () => {
    assert.deepEqual(names(`${route()}---\n${cluster()}---\n${endpoints(1)}`), ['RouteConfiguration/local_route', 'Cluster/service', 'ClusterLoadAssignment/service']);
  });

  it('reads a resources: list (Envoy filesystem subscription shape), with version_info', () => {
    const text = lines(
      'version_info: "7"',
      'resources:',
      `- "@type": ${CLUSTER_URL}`,
      '  name: a',
      '  type: EDS',
      '  eds_cluster_config: { eds_config: { ads: {} } }',
      `- "@type": ${ENDPOINT_URL}`,
      '  cluster_name: a',
    );
    assert.deepEqual(names(text), ['Cluster/a', 'ClusterLoadAssignment/a']);
  });

  it('reads JSON and camelCase field names', () => {
    const json = JSON.stringify({ resources: [{ '@type': ENDPOINT_URL, clusterName: 'x', endpoints: [{ lbEndpoints: [] }] }] });
    assert.deepEqual(names(json, 'eps.json'), ['ClusterLoadAssignment/x']);
  });

  it('accepts an empty file and an empty list', () => {
    assert.deepEqual(names('# nothing yet\n'), []);
    assert.deepEqual(names('resources: []\n'), []);
  });
});

describe('xDS resource files: errors name file:line and field path', () => {
  it('reports schema problems at their line, with the field path', () => {
    const text = lines(
      `"@type": ${CLUSTER_URL}`, // 1
      'name: web', // 2
      'type: EDS', // 3
      'connect_timeout: 5', // 4
      'lb_policy: ROUND_ROBBIN', // 5
    );
    assert.deepEqual(errors(text, 'cluster.yaml'), [
      'cluster.yaml:4: connect_timeout: expected a duration such as "5s" or "0.25s", got the number 5 (did you mean "5s"?)',
      'cluster.yaml:5: lb_policy: unknown enum value "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?); envoy.config.cluster.v3.Cluster.LbPolicy has ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG',
    ]);
  });

  it('prefixes paths inside a resources: list with the item index', () => {
    const text = lines(
      'resources:', // 1
      `- "@type": ${ROUTE_URL}`, // 2
      '  name: r', // 3
      `- "@type": ${ROUTE_URL}`, // 4
      '  name: s', // 5
      '  virtual_hosts: [{ name: v, domains: ["*"], routes: [{ match: { prefx: "/" } }] }]', // 6
    );
    assert.deepEqual(errors(text), [
      'bad.yaml:6: resources[1].virtual_hosts[0].routes[0].match.prefx: unknown field "prefx" in envoy.config.route.v3.RouteMatch (did you mean "prefix"?)',
      'bad.yaml:6: resources[1].virtual_hosts[0].routes[0].match: one of "prefix", "path", "safe_regex", "connect_matcher", "path_separated_prefix", "path_match_policy" is required in envoy.config.route.v3.RouteMatch',
      'bad.yaml:6: resources[1].virtual_hosts[0].routes[0]: one of "route", "redirect", "direct_response", "filter_action", "non_forwarding_action" is required in envoy.config.route.v3.Route',
    ]);
  });

  it('rejects a resource without @type, and an unknown or non-xDS @type', () => {
    assert.deepEqual(errors(lines('name: x', 'type: EDS')), [
      'bad.yaml:1: missing "@type": every resource names its type, one of type.googleapis.com/envoy.config.cluster.v3.Cluster, type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment, type.googleapis.com/envoy.config.listener.v3.Listener, type.googleapis.com/envoy.config.route.v3.RouteConfiguration, type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    ]);
    assert.deepEqual(errors(lines('resources:', '- "@type": type.googleapis.com/envoy.config.cluster.v3.Clustr', '  name: x')), [
      'bad.yaml:2: resources[0].@type: "type.googleapis.com/envoy.config.cluster.v3.Clustr" is not a resource type skein xds serve can serve (did you mean "type.googleapis.com/envoy.config.cluster.v3.Cluster"?)',
    ]);
    assert.match(errors(lines('"@type": type.googleapis.com/envoy.config.core.v3.Address'))[0]!, /^bad\.yaml:1: @type: "type\.googleapis\.com\/envoy\.config\.core\.v3\.Address" is not a resource type skein xds serve can serve; expected one of /);
    assert.deepEqual(errors(lines('"@type": envoy.config.cluster.v3.Cluster', 'name: x')), [
      'bad.yaml:1: @type: invalid type URL "envoy.config.cluster.v3.Cluster": write it as type.googleapis.com/envoy.config.cluster.v3.Cluster',
    ]);
  });

  it('rejects a resource without a name, and the same name twice in one file', () => {
    assert.deepEqual(errors(lines(`"@type": ${ENDPOINT_URL}`, 'endpoints: []')), [
      'bad.yaml:1: cluster_name: field "cluster_name" is required in envoy.config.endpoint.v3.ClusterLoadAssignment',
    ]);
    // Envoy's schema lets a listener go unnamed (a bootstrap's static one); xDS cannot.
    assert.deepEqual(errors(lines('resources:', `- "@type": ${LISTENER_URL}`, '  stat_prefix: x')), [
      'bad.yaml:2: resources[0].name: a envoy.config.listener.v3.Listener served over xDS needs a "name" (its resource name)',
    ]);
    assert.deepEqual(errors(`${cluster('a')}---\n${cluster('a')}`), [
      'bad.yaml:8: name: duplicate Cluster "a" (also defined at line 2); resource names must be unique per type',
    ]);
  });

  it('reports YAML syntax errors and stray keys next to resources:', () => {
    assert.match(errors('resources: [\n')[0]!, /^bad\.yaml:\d+: /);
    assert.deepEqual(errors(lines('resources: []', 'resouces: []')), [
      'bad.yaml:2: resouces: unknown field "resouces" next to "resources" (a resource list may also carry version_info and type_url) (did you mean "resources"?)',
    ]);
    assert.deepEqual(errors(lines(`type_url: ${ROUTE_URL}`, 'resources:', `- { "@type": ${CLUSTER_URL}, name: c }`)), [
      `bad.yaml:3: resources[0].@type: resource of type ${CLUSTER_URL} in a list whose type_url is ${ROUTE_URL}`,
    ]);
  });
});
