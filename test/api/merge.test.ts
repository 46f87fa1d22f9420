// --config-yaml over -c: Envoy merges the two with protobuf MergeFrom, and so do we.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BOOTSTRAP_TYPE, loadBootstrap, type Bootstrap } from '../../src/api/bootstrap.js';
import { readMessageFromJson } from '../../src/api/json/from-json.js';
import { ConfigError } from '../../src/api/json/issues.js';
import { mergeMessages } from '../../src/api/json/merge.js';
import { spanOf } from '../../src/api/json/spans.js';
import { fixture } from '../helpers/paths.js';

/** Each part of a merge is read for its schema only; the rules apply to the result. */
const part = (v: unknown) => readMessageFromJson<Record<string, unknown>>(BOOTSTRAP_TYPE, v, { skipRules: true }).message;
const merge = (a: unknown, b: unknown): Bootstrap => mergeMessages(part(a), part(b), BOOTSTRAP_TYPE) as Bootstrap;
const cluster = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });

describe('MergeFrom semantics', () => {
  it('appends repeated fields', () => {
    const out = merge({ static_resources: { clusters: [cluster('a')] } }, { static_resources: { clusters: [cluster('b')] } });
    assert.deepEqual(out.static_resources?.clusters?.map((c) => c.name), ['a', 'b']);
  });

  it('overrides scalars and enums, and merges nested messages field by field', () => {
    const out = merge(
      { node: { id: 'one', cluster: 'c1', locality: { region: 'r1', zone: 'z1' } }, admin: { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } } },
      { node: { id: 'two', locality: { zone: 'z2' } }, admin: { address: { socket_address: { port_value: 9902 } } } },
    );
    assert.deepEqual(out.node, { id: 'two', cluster: 'c1', locality: { region: 'r1', zone: 'z2' } });
    assert.deepEqual(out.admin, { address: { socket_address: { address: '127.0.0.1', port_value: 9902 } } });
  });

  it('does not copy proto3 default scalars (0, "", false), as MergeFrom does', () => {
    const out = merge({ node: { id: 'one', cluster: 'c1' } }, { node: { id: '', cluster: 'c2' } });
    assert.deepEqual(out.node, { id: 'one', cluster: 'c2' });
  });

  it('merges wrappers and durations as messages (Envoy\'s behaviour: "1s" over "0.25s" is 1.25s)', () => {
    const out = merge({ stats_flush_interval: '0.25s', stats_config: { use_all_default_tags: false } }, { stats_flush_interval: '1s', stats_config: { use_all_default_tags: true } });
    assert.deepEqual(out.stats_flush_interval, { seconds: 1, nanos: 250_000_000 });
    assert.deepEqual(out.stats_config, { use_all_default_tags: { value: true } });
  });

  it('replaces the other member when a oneof member is set', () => {
    const socket = (address: Record<string, unknown>) => ({ admin: { address: { socket_address: { address: '::', ...address } } } });
    const out = merge(socket({ port_value: 9901 }), socket({ named_port: 'admin' }));
    assert.deepEqual(out.admin?.address?.socket_address, { address: '::', named_port: 'admin' });
  });

  it('replaces an Any whole, and merges Struct keys', () => {
    const tracing = (extra: Record<string, unknown>) => ({
      node: { id: 'n', metadata: extra },
    });
    const out = merge(tracing({ a: 1, nested: { x: 1 } }), tracing({ b: 2, nested: { y: 2 } }));
    // each Struct key's Value is replaced, not merged
    assert.deepEqual(out.node?.metadata, { a: 1, b: 2, nested: { y: 2 } });

    const withRouter = (config: Record<string, unknown>) => ({
      static_resources: { clusters: [{ name: 'c', typed_extension_protocol_options: { opts: config } }] },
    });
    const h2 = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } };
    const h1 = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http_protocol_options: {} } };
    const clusterOf = (v: unknown) => (part(v) as Bootstrap).static_resources!.clusters![0]! as Record<string, unknown>;
    const merged = mergeMessages(clusterOf(withRouter(h2)), clusterOf(withRouter(h1)), 'envoy.config.cluster.v3.Cluster');
    assert.deepEqual(merged.typed_extension_protocol_options, { opts: h1 });
  });

  it('does not modify its inputs', () => {
    const a = part({ node: { id: 'a' }, static_resources: { clusters: [cluster('a')] } });
    const before = structuredClone(a);
    mergeMessages(a, part({ node: { id: 'b' }, static_resources: { clusters: [cluster('b')] } }), BOOTSTRAP_TYPE);
    assert.deepEqual(a, before);
  });
});

describe('loadBootstrap with -c and --config-yaml', () => {
  const seed = fixture('seeds', 'simple.yaml');

  it('merges --config-yaml over the file', () => {
    const { bootstrap } = loadBootstrap({
      configPath: seed,
      configYaml: 'admin: { address: { socket_address: { port_value: 15555 } } }\nstatic_resources: { clusters: [ { name: extra, connect_timeout: 1s } ] }',
    });
    assert.deepEqual(bootstrap.admin, { address: { socket_address: { address: '0.0.0.0', port_value: 15555 } } });
    assert.deepEqual(bootstrap.static_resources?.clusters?.map((c) => c.name), ['httpbin_service', 'extra']);
    assert.equal(bootstrap.static_resources?.listeners?.length, 1);
    // positions survive the merge, so later checks can still say file:line
    assert.equal(spanOf(bootstrap.static_resources?.clusters?.[0])?.file, seed);
    assert.equal(spanOf(bootstrap.static_resources?.clusters?.[1])?.file, '--config-yaml');
    assert.equal(spanOf(bootstrap.static_resources)?.file, seed);
  });

  it('validates the merged result, not each part (as Envoy does)', () => {
    const base = fixture('config', 'merge', 'base_without_admin_port.yaml');
    assert.throws(
      () => loadBootstrap({ configPath: base }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === `${base}:6: admin.address.socket_address: one of "port_value", "named_port" is required in envoy.config.core.v3.SocketAddress`,
    );
    const { bootstrap } = loadBootstrap({ configPath: base, configYaml: 'admin: { address: { socket_address: { port_value: 9901 } } }' });
    assert.deepEqual(bootstrap.admin, { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } });
  });

  it('names the part (file or --config-yaml) and line of a rule broken after merging', () => {
    const base = fixture('config', 'merge', 'base_without_admin_port.yaml');
    const overlay = ['admin:', '  address: { socket_address: { port_value: 99999 } }', 'static_resources:', '  clusters:', '  - name: ""'].join('\n');
    assert.throws(
      () => loadBootstrap({ configPath: base, configYaml: overlay }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          [
            '--config-yaml:2: admin.address.socket_address.port_value: value must be at most 65535, got 99999',
            '--config-yaml:5: static_resources.clusters[1].name: value is required (must not be empty)',
          ].join('\n'),
    );
  });

  it('reports schema problems of both parts together', () => {
    const base = fixture('config', 'bad', 'bad_enum.yaml');
    assert.throws(
      () => loadBootstrap({ configPath: base, configYaml: 'node: { idd: x }' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues.length === 2 &&
        err.message.endsWith('\n--config-yaml:1: node.idd: unknown field "idd" in envoy.config.core.v3.Node (did you mean "id"?)'),
    );
  });

  it('accepts --config-yaml alone', () => {
    const { bootstrap } = loadBootstrap({ configYaml: 'node: { id: only-yaml }' });
    assert.deepEqual(bootstrap, { node: { id: 'only-yaml' } });
  });

  it('reports problems in --config-yaml under that name', () => {
    assert.throws(
      () => loadBootstrap({ configPath: seed, configYaml: 'node: { idd: x }' }),
      (err: unknown) =>
        err instanceof ConfigError && err.message === '--config-yaml:1: node.idd: unknown field "idd" in envoy.config.core.v3.Node (did you mean "id"?)',
    );
  });

  it('needs at least one source', () => {
    assert.throws(
      () => loadBootstrap({}),
      (err: unknown) => err instanceof ConfigError && err.message === 'At least one of --config-path (-c) or --config-yaml should be non-empty',
    );
  });

  it('says when the file cannot be read', () => {
    assert.throws(
      () => loadBootstrap({ configPath: '/nonexistent/envoy.yaml' }),
      (err: unknown) =>
        err instanceof ConfigError && err.message === "cannot read config file /nonexistent/envoy.yaml: ENOENT: no such file or directory, open '/nonexistent/envoy.yaml'",
    );
  });
});
