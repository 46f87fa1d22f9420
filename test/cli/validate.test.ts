// `skein proxy --mode validate`, run as a user runs it: the real executable, real
// fixture files, and the exact exit code, stdout and stderr a user sees. The checks
// exercised here span the schema walker (unknown fields, enums, PGV rules) and the
// proxy's own checks made while it builds its objects (routes, filters, clusters).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot, skeinBin } from '../helpers/paths.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/skein proxy --mode validate ARGS` from the repository root. */
function validate(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [skeinBin, 'proxy', '--mode', 'validate', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const GOOD = 'test/fixtures/config/good';
const BAD = 'test/fixtures/config/bad';
const LISTENER = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const ROUTE = `${LISTENER}.route_config.virtual_hosts[0].routes[0]`;
const ENDPOINT = 'static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints';

async function expectOk(configPath: string, ...extra: string[]): Promise<void> {
  const run = await validate('-c', configPath, ...extra);
  assert.deepEqual(run, { code: 0, stdout: `configuration '${configPath}' OK\n`, stderr: '' });
}

/**
 * Expects exit code 1 and exactly `lines` under the "error initializing" header.
 * The list of supported extensions grows as skein does, so it is compared as "…".
 */
async function expectRejected(configPath: string, lines: string[]): Promise<void> {
  const run = await validate('-c', configPath);
  const stderr = run.stderr.replace(/\(supported: [^)]*\)/g, '(supported: …)');
  assert.deepEqual(
    { code: run.code, stdout: run.stdout, stderr },
    { code: 1, stdout: '', stderr: [`error initializing configuration '${configPath}':`, ...lines.map((l) => `  ${l}`)].join('\n') + '\n' },
  );
}

describe('skein proxy --mode validate: good configs', { concurrency: 4 }, () => {
  for (const seed of ['simple.yaml', 'simple_change_timeout.yaml', 'simple_retry.yaml']) {
    it(`accepts the book's ${seed}`, () => expectOk(`test/fixtures/seeds/${seed}`));
  }

  it('accepts a realistic static bootstrap', () => expectOk(`${GOOD}/static_two_clusters.yaml`));

  it('skips an unknown HTTP filter marked is_optional', () => expectOk(`${GOOD}/optional_unknown_http_filter.yaml`));
});

describe('skein proxy --mode validate: bad configs', { concurrency: 4 }, () => {
  it('rejects an unknown field, suggesting the right one', () =>
    expectRejected(`${BAD}/unknown_field.yaml`, [
      `${BAD}/unknown_field.yaml:6: static_resources.clusters[0].conect_timeout: unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster (did you mean "connect_timeout"?)`,
    ]));

  it('rejects a misspelled enum value', () =>
    expectRejected(`${BAD}/bad_enum.yaml`, [
      `${BAD}/bad_enum.yaml:7: static_resources.clusters[0].lb_policy: unknown enum value "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?); ` +
        'envoy.config.cluster.v3.Cluster.LbPolicy has ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG',
    ]));

  it('rejects a route to an unknown cluster', () =>
    expectRejected(`${BAD}/route_unknown_cluster.yaml`, [
      `${BAD}/route_unknown_cluster.yaml:19: ${ROUTE}.route.cluster: route refers to unknown cluster "x"`,
    ]));

  it('rejects a router that is not the last HTTP filter', () =>
    expectRejected(`${BAD}/router_not_last.yaml`, [
      `${BAD}/router_not_last.yaml:21: ${LISTENER}.http_filters[0]: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain`,
    ]));

  it('rejects an unknown HTTP filter that is not is_optional', () =>
    expectRejected(`${BAD}/unknown_http_filter.yaml`, [
      `${BAD}/unknown_http_filter.yaml:21: ${LISTENER}.http_filters[0].typed_config: envoy.filters.http extension "acme.filters.http.auth" ` +
        'has config type type.googleapis.com/google.protobuf.Struct, which skein does not implement (supported: …); mark it is_optional to skip it',
    ]));

  it('rejects a STATIC cluster with a host name', async () => {
    const run = await validate('-c', `${BAD}/static_hostname.yaml`);
    assert.equal(run.code, 1);
    // the file:line prefix is optional here until the cluster builder passes the endpoint's span
    assert.match(
      run.stderr,
      new RegExp(
        `^error initializing configuration '${BAD}/static_hostname.yaml':\\n` +
          `  (${BAD}/static_hostname.yaml:\\d+: )?${escape(ENDPOINT)}\\[0\\]\\.endpoint\\.address\\.socket_address\\.address: ` +
          escape('malformed IP address: web.example.com (a STATIC cluster needs IP addresses; use type STRICT_DNS or LOGICAL_DNS for names)') +
          '\\n$',
      ),
    );
  });

  it('rejects a LOGICAL_DNS cluster with two endpoints', () =>
    expectRejected(`${BAD}/logical_dns_two_endpoints.yaml`, [
      `${BAD}/logical_dns_two_endpoints.yaml:4: static_resources.clusters[0].load_assignment: LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint (found 2)`,
    ]));

  it('rejects a port above 65535', () =>
    expectRejected(`${BAD}/port_out_of_range.yaml`, [
      `${BAD}/port_out_of_range.yaml:11: ${ENDPOINT}[0].endpoint.address.socket_address.port_value: value must be at most 65535, got 80000`,
    ]));

  it('rejects an HTTP connection manager without stat_prefix', () =>
    expectRejected(`${BAD}/missing_stat_prefix.yaml`, [
      `${BAD}/missing_stat_prefix.yaml:10: ${LISTENER}.stat_prefix: field "stat_prefix" is required in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
    ]));

  it('rejects a safe_regex that does not compile', async () => {
    const run = await validate('-c', `${BAD}/bad_safe_regex.yaml`);
    assert.equal(run.code, 1);
    const [header, line, ...rest] = run.stderr.split('\n');
    assert.equal(header, `error initializing configuration '${BAD}/bad_safe_regex.yaml':`);
    assert.ok(line?.startsWith(`  ${BAD}/bad_safe_regex.yaml:18: ${ROUTE}.match.safe_regex: invalid regex`), line);
    assert.deepEqual(rest, ['']);
  });

  it('rejects two filter chains with the same match', () =>
    expectRejected(`${BAD}/duplicate_filter_chain_match.yaml`, [
      `${BAD}/duplicate_filter_chain_match.yaml:16: static_resources.listeners[0].filter_chains[1].filter_chain_match: ` +
        "error adding listener 'ingress': filter chain '1' has the same matching rules as '0' (multiple filter chains with the same matching rules are defined)",
    ]));

  it("rejects seed 003's transcription of simple.yaml (ib_policy, no @type)", () => {
    const file = `${BAD}/seed003_transcribed_simple.yaml`;
    return expectRejected(file, [
      `${file}:19: ${LISTENER}: missing "@type" (the type URL of the config inside, e.g. "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")`,
      `${file}:38: static_resources.clusters[0].ib_policy: unknown field "ib_policy" in envoy.config.cluster.v3.Cluster (did you mean "lb_policy"?)`,
    ]);
  });

  it('reports every problem of a file, not only the first', async () => {
    const run = await validate('-c', `${BAD}/unknown_field.yaml`, '--config-yaml', 'node: { idd: x }\nstatic_resources: { clusters: [ { name: "" } ] }');
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.split('\n'), [
      `error initializing configuration '${BAD}/unknown_field.yaml':`,
      `  ${BAD}/unknown_field.yaml:6: static_resources.clusters[0].conect_timeout: unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster (did you mean "connect_timeout"?)`,
      '  --config-yaml:1: node.idd: unknown field "idd" in envoy.config.core.v3.Node (did you mean "id"?)',
      '',
    ]);
  });
});

describe('skein proxy --mode validate: config sources', { concurrency: 4 }, () => {
  it('merges --config-yaml over -c (the file is named in the result)', () =>
    expectOk('test/fixtures/seeds/simple.yaml', '--config-yaml', 'admin: { address: { socket_address: { port_value: 15555 } } }'));

  it('validates the merged config: a part may be incomplete on its own', async () => {
    const base = 'test/fixtures/config/merge/base_without_admin_port.yaml';
    await expectRejected(base, [`${base}:6: admin.address.socket_address: one of "port_value", "named_port" is required in envoy.config.core.v3.SocketAddress`]);
    await expectOk(base, '--config-yaml', 'admin: { address: { socket_address: { port_value: 9901 } } }');
  });

  it('reports a problem added by --config-yaml at its line there', async () => {
    const run = await validate('-c', 'test/fixtures/seeds/simple.yaml', '--config-yaml', 'static_resources:\n  clusters:\n  - name: extra\n    type: STATK');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "error initializing configuration 'test/fixtures/seeds/simple.yaml':\n" +
        '  --config-yaml:4: static_resources.clusters[0].type: unknown enum value "STATK" (did you mean "STATIC"?); ' +
        'envoy.config.cluster.v3.Cluster.DiscoveryType has STATIC, STRICT_DNS, LOGICAL_DNS, EDS, ORIGINAL_DST\n',
    );
  });

  it('accepts --config-yaml alone', async () => {
    const run = await validate('--config-yaml', 'admin: { address: { socket_address: { address: 127.0.0.1, port_value: 9901 } } }');
    assert.deepEqual(run, { code: 0, stdout: "configuration '--config-yaml' OK\n", stderr: '' });
  });

  it('needs --config-path or --config-yaml', async () => {
    const run = await validate();
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, 'skein proxy: At least one of --config-path (-c) or --config-yaml should be non-empty (see skein proxy --help)\n');
  });

  it('says when the file does not exist', async () => {
    const run = await validate('-c', 'test/fixtures/config/nope.yaml');
    assert.deepEqual(run, {
      code: 1,
      stdout: '',
      stderr:
        "error initializing configuration 'test/fixtures/config/nope.yaml':\n" +
        "  cannot read config file test/fixtures/config/nope.yaml: ENOENT: no such file or directory, open 'test/fixtures/config/nope.yaml'\n",
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
