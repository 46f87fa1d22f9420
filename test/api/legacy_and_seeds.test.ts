// The book's chapter 3 files load unchanged; the v2-era cluster `hosts` field is
// upgraded to load_assignment; a hand-transcribed variant with typos is rejected.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { loadBootstrap } from '../../src/api/bootstrap.js';
import { formatIssue } from '../../src/api/json/issues.js';
import { upgradeLegacyCluster, upgradeLegacyClusterChecked } from '../../src/api/legacy.js';
import { fixture } from '../helpers/paths.js';
import { loadErrors, loadText, yaml } from './helpers.js';

const httpbinAssignment = (clusterName: string) => ({
  cluster_name: clusterName,
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'httpbin', port_value: 8000 } } } }] }],
});

describe("the book's seed configs", () => {
  for (const name of ['simple.yaml', 'simple_change_timeout.yaml', 'simple_retry.yaml']) {
    it(`loads ${name} without warnings`, () => {
      const { bootstrap, warnings } = loadBootstrap({ configPath: fixture('seeds', name) });
      assert.deepEqual(warnings, []);
      assert.deepEqual(bootstrap.admin, { address: { socket_address: { address: '0.0.0.0', port_value: 15000 } } });
      const [cluster] = bootstrap.static_resources?.clusters ?? [];
      assert.deepEqual(cluster, {
        name: 'httpbin_service',
        connect_timeout: { seconds: 5 },
        type: 'LOGICAL_DNS',
        dns_lookup_family: 'V4_ONLY',
        lb_policy: 'ROUND_ROBIN',
        load_assignment: httpbinAssignment('httpbin'),
      });
      const hcm = bootstrap.static_resources?.listeners?.[0]?.filter_chains?.[0]?.filters?.[0]?.typed_config as Record<string, any>;
      assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
      assert.equal(hcm.stat_prefix, 'ingress_http');
      const route = hcm.route_config.virtual_hosts[0].routes[0].route;
      if (name === 'simple_change_timeout.yaml') assert.deepEqual(route.timeout, { seconds: 1 });
      if (name === 'simple_retry.yaml') assert.deepEqual(route.retry_policy, { retry_on: '5xx', num_retries: { value: 3 } });
      assert.equal(route.cluster, 'httpbin_service');
    });
  }
});

describe('legacy cluster hosts', () => {
  it('converts hosts to load_assignment with a warning', () => {
    const text = yaml(
      'static_resources:',
      '  clusters:',
      '  - name: httpbin_service',
      '    connect_timeout: 5s',
      '    type: LOGICAL_DNS',
      '    hosts: [{ socket_address: { address: httpbin, port_value: 8000 }}]',
    );
    const { bootstrap, warnings } = loadText(text, 'legacy.yaml');
    assert.deepEqual(bootstrap.static_resources?.clusters?.[0]?.load_assignment, httpbinAssignment('httpbin_service'));
    assert.deepEqual(warnings.map(formatIssue), ['legacy.yaml:6: static_resources.clusters[0]: legacy "hosts" converted to "load_assignment"']);
  });

  it('converts hosts in camelCase files too', () => {
    const json = JSON.stringify({ staticResources: { clusters: [{ name: 'c', hosts: [{ socketAddress: { address: 'httpbin', portValue: 8000 } }] }] } });
    assert.deepEqual(loadText(json).bootstrap.static_resources?.clusters?.[0]?.load_assignment, httpbinAssignment('c'));
  });

  it('reports a bad address inside hosts at its own line, under hosts[i]', () => {
    const text = yaml(
      'static_resources:',
      '  clusters:',
      '  - name: web',
      '    hosts:',
      '    - socket_address: { address: a, port_value: 80 }',
      '    - socket_address: { address: b, port_value: 80000 }',
    );
    assert.deepEqual(loadErrors(text), ['bad.yaml:6: static_resources.clusters[0].hosts[1].socket_address.port_value: value must be at most 65535, got 80000']);
  });

  it('rejects hosts that is not a list, alongside other problems', () => {
    const text = yaml('static_resources:', '  clusters:', '  - name: web', '    hosts: httpbin:8000', '    lb_polcy: RANDOM');
    assert.deepEqual(loadErrors(text), [
      'bad.yaml:4: static_resources.clusters[0].hosts: "hosts" must be a list of addresses, e.g. hosts: [{ socket_address: { address: httpbin, port_value: 8000 } }]',
      'bad.yaml:5: static_resources.clusters[0].lb_polcy: unknown field "lb_polcy" in envoy.config.cluster.v3.Cluster (did you mean "lb_policy"?)',
    ]);
  });

  it('ignores hosts when load_assignment is also set, with a warning', () => {
    const cluster: Record<string, unknown> = { name: 'c', hosts: [{}], load_assignment: { cluster_name: 'c' } };
    assert.deepEqual(upgradeLegacyCluster(cluster), ['both "hosts" and "load_assignment" are set; "hosts" is ignored']);
    assert.deepEqual(cluster, { name: 'c', load_assignment: { cluster_name: 'c' } });
  });

  it('leaves clusters without hosts alone', () => {
    const cluster = { name: 'c' };
    assert.deepEqual(upgradeLegacyClusterChecked(cluster), { notes: [], errors: [] });
    assert.deepEqual(cluster, { name: 'c' });
  });
});

describe("seed 003's hand transcription of simple.yaml", () => {
  // The blog post's copy has `ib_policy` for `lb_policy` and a typed_config with no
  // "@type". Envoy rejects both (an unknown field; an Any without a type URL), so
  // skein must too, naming each problem where it is. Its `hosts` field is upgraded.
  const file = fixture('config', 'bad', 'seed003_transcribed_simple.yaml');

  const seedFile = fixture('..', '..', '..', 'shared', 'seeds', '003_e92ab3e3595835f7.txt');

  it('is the verbatim block from the seed', { skip: !fs.existsSync(seedFile) && 'seed file not present' }, () => {
    const seedText = fs.readFileSync(seedFile, 'utf8');
    const fixtureBody = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith('# ')).join('\n');
    assert.ok(seedText.includes(fixtureBody.trimEnd()), 'the fixture body should appear verbatim in the seed');
  });

  it('is rejected for ib_policy and the missing @type', () => {
    assert.throws(
      () => loadBootstrap({ configPath: file }),
      (err: unknown) => {
        assert.equal(
          (err as Error).message,
          [
            `${file}:19: static_resources.listeners[0].filter_chains[0].filters[0].typed_config: missing "@type" ` +
              '(the type URL of the config inside, e.g. "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")',
            `${file}:38: static_resources.clusters[0].ib_policy: unknown field "ib_policy" in envoy.config.cluster.v3.Cluster (did you mean "lb_policy"?)`,
          ].join('\n'),
        );
        return true;
      },
    );
  });
});
