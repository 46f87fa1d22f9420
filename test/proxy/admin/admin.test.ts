// The admin API as a user (or istioctl, or Prometheus) reads it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';
import { startHttpbin } from '../../../src/testing/httpbin/index.js';
import { logRegistry } from '../../../src/common/logger.js';

describe('admin API', () => {
  let httpbin: Awaited<ReturnType<typeof startHttpbin>>;
  let proxy: RunningProxy;
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${proxy.adminUrl}${path}`, { method });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };

  before(async () => {
    httpbin = await startHttpbin({ port: 0, host: '127.0.0.1' });
    proxy = await startProxy(
      bootstrapYaml({
        routeConfig: `
name: local_route
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: httpbin_service }`,
        clusters: staticCluster('httpbin_service', [httpbin.port]),
      }),
    );
    const res = await fetch(proxy.url('main', '/get'));
    await res.arrayBuffer();
  });
  after(async () => {
    await proxy.stop();
    await httpbin.close();
  });

  it('/ready says LIVE with 200', async () => {
    assert.deepEqual(await get('/ready'), { status: 200, type: 'text/plain; charset=UTF-8', body: 'LIVE\n' });
  });

  it('/stats prints sorted "name: value" lines with Envoy names', async () => {
    const { status, body } = await get('/stats');
    assert.equal(status, 200);
    const lines = body.trimEnd().split('\n');
    const counterLines = lines.filter((l) => /^[^:]+: \d+$/.test(l)).map((l) => l.split(':')[0]!);
    assert.deepEqual(counterLines, [...counterLines].sort());
    for (const name of [
      'cluster.httpbin_service.upstream_rq_total: 1',
      'cluster.httpbin_service.upstream_rq_200: 1',
      'cluster.httpbin_service.upstream_rq_2xx: 1',
      'cluster.httpbin_service.upstream_cx_total: 1',
      'cluster.httpbin_service.membership_healthy: 1',
      'http.ingress_http.downstream_rq_total: 1',
      'http.ingress_http.downstream_rq_2xx: 1',
      'listener.127.0.0.1_0.downstream_cx_total: 1',
      'cluster_manager.active_clusters: 1',
      'server.live: 1',
    ]) {
      assert.ok(lines.includes(name), `missing "${name}"`);
    }
    assert.match(body, /^cluster\.httpbin_service\.upstream_rq_time: P0\(/m);
    assert.match(body, /^http\.ingress_http\.downstream_rq_time: P0\(/m);
  });

  it('/stats?filter= and ?usedonly narrow the output', async () => {
    const filtered = (await get('/stats?filter=upstream_rq_retry$')).body.trimEnd().split('\n');
    assert.deepEqual(filtered, ['cluster.httpbin_service.upstream_rq_retry: 0']);
    const used = (await get('/stats?usedonly&filter=^cluster\\.httpbin_service\\.upstream_rq_')).body;
    assert.match(used, /upstream_rq_total: 1/);
    assert.doesNotMatch(used, /upstream_rq_retry:/);
  });

  it('/stats?format=json has Envoy\'s shape', async () => {
    const { type, body } = await get('/stats?format=json&filter=downstream_rq_total');
    assert.equal(type, 'application/json');
    const json = JSON.parse(body) as { stats: Array<{ name: string; value: number }> };
    assert.deepEqual(json.stats.find((s) => s.name === 'http.ingress_http.downstream_rq_total'), { name: 'http.ingress_http.downstream_rq_total', value: 1 });
  });

  it('/stats/prometheus uses Envoy metric names and tags', async () => {
    const { body } = await get('/stats/prometheus');
    assert.match(body, /^# TYPE envoy_cluster_upstream_rq_total counter$/m);
    assert.match(body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="httpbin_service"\} 1$/m);
    assert.match(body, /^envoy_http_downstream_rq_xx\{envoy_response_code_class="2",envoy_http_conn_manager_prefix="ingress_http"\} 1$/m);
    assert.match(body, /^envoy_cluster_upstream_rq_time_bucket\{envoy_cluster_name="httpbin_service",le="\+Inf"\} 1$/m);
  });

  it('/clusters lists cluster settings and host stats in Envoy\'s text format', async () => {
    const { body } = await get('/clusters');
    const lines = body.split('\n');
    const host = `127.0.0.1:${httpbin.port}`;
    for (const line of [
      'httpbin_service::observability_name::httpbin_service',
      'httpbin_service::default_priority::max_connections::1024',
      'httpbin_service::default_priority::max_retries::3',
      'httpbin_service::added_via_api::false',
      `httpbin_service::${host}::rq_total::1`,
      `httpbin_service::${host}::rq_success::1`,
      `httpbin_service::${host}::health_flags::healthy`,
      `httpbin_service::${host}::weight::1`,
    ]) {
      assert.ok(lines.includes(line), `missing "${line}"`);
    }
    const json = JSON.parse((await get('/clusters?format=json')).body);
    assert.equal(json.cluster_statuses[0].name, 'httpbin_service');
    assert.deepEqual(json.cluster_statuses[0].host_statuses[0].address, { socket_address: { address: '127.0.0.1', port_value: httpbin.port } });
    assert.equal(json.cluster_statuses[0].host_statuses[0].health_status.eds_health_status, 'HEALTHY');
  });

  it('/listeners lists name::address', async () => {
    assert.equal((await get('/listeners')).body, `main::127.0.0.1:${proxy.port('main')}\n`);
    const json = JSON.parse((await get('/listeners?format=json')).body);
    assert.deepEqual(json.listener_statuses, [{ name: 'main', local_address: { socket_address: { address: '127.0.0.1', port_value: proxy.port('main') } } }]);
  });

  it('/config_dump has the bootstrap, clusters, listeners and routes as typed dumps', async () => {
    const dump = JSON.parse((await get('/config_dump')).body) as { configs: Array<Record<string, any>> };
    assert.deepEqual(
      dump.configs.map((c) => c['@type']),
      [
        'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
        'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        'type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump',
        'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
      ],
    );
    const clusters = dump.configs[1]!;
    assert.equal(clusters.static_clusters[0].cluster['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    assert.equal(clusters.static_clusters[0].cluster.connect_timeout, '1s');
    assert.match(clusters.static_clusters[0].last_updated, /^\d{4}-\d\d-\d\dT/);
    assert.equal(dump.configs[4]!.static_route_configs[0].route_config.name, 'local_route');
    const one = JSON.parse((await get('/config_dump?resource=static_clusters&mask=cluster.name')).body);
    assert.deepEqual(one, { configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster', cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'httpbin_service' } }] });
  });

  it('/logging lists levels on GET and changes them on POST', async () => {
    const listing = await get('/logging');
    assert.equal(listing.status, 200);
    assert.match(listing.body, /^active loggers:\n/);
    assert.match(listing.body, /^ {2}http: critical$/m);
    const changed = await get('/logging?http=debug', 'POST');
    assert.match(changed.body, /^ {2}http: debug$/m);
    assert.equal(logRegistry.level('http'), 'debug');
    const all = await get('/logging?level=warning', 'POST');
    assert.match(all.body, /^ {2}upstream: warning$/m);
    assert.equal((await get('/logging?nosuch=debug', 'POST')).status, 404);
    assert.equal((await get('/logging?http=loud', 'POST')).status, 404);
    assert.equal((await get('/logging?http=debug', 'GET')).status, 405);
    logRegistry.setAll('critical');
  });

  it('state-changing endpoints refuse GET as Envoy does', async () => {
    for (const path of ['/reset_counters', '/drain_listeners', '/quitquitquit', '/healthcheck/fail', '/runtime_modify']) {
      assert.deepEqual(await get(path), { status: 405, type: 'text/plain; charset=UTF-8', body: 'Method GET not allowed, POST required.' }, path);
    }
  });

  it('unknown paths answer 404 with the command list; /help lists commands', async () => {
    const res = await get('/nope');
    assert.equal(res.status, 404);
    assert.match(res.body, /^invalid path\. admin commands are:\n/);
    assert.match((await get('/help')).body, /^ {2}\/config_dump: /m);
  });

  it('/server_info and /runtime_modify', async () => {
    const info = JSON.parse((await get('/server_info')).body);
    assert.equal(info.state, 'LIVE');
    assert.equal(info.command_line_options.concurrency, 1);
    assert.equal((await get('/runtime_modify?my.key=42', 'POST')).body, 'OK\n');
    assert.equal(JSON.parse((await get('/runtime')).body).entries['my.key'].final_value, '42');
  });

  it('/reset_counters zeroes counters', async () => {
    assert.equal((await get('/reset_counters', 'POST')).body, 'OK\n');
    assert.match((await get('/stats?filter=^cluster.httpbin_service.upstream_rq_total$')).body, /: 0\n$/);
  });
});
