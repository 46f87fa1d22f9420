import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTagExtractor, extractTags } from '../../../src/proxy/stats/tags.js';

/** name → [tag-extracted name, "tag=value" in extraction order] as Envoy produces them. */
const CASES: Array<[string, string, string[]]> = [
  ['cluster.httpbin_service.upstream_rq_retry', 'cluster.upstream_rq_retry', ['envoy.cluster_name=httpbin_service']],
  ['cluster.x.upstream_rq_503', 'cluster.upstream_rq', ['envoy.response_code=503', 'envoy.cluster_name=x']],
  [
    'http.ingress_http.downstream_rq_2xx',
    'http.downstream_rq_xx',
    ['envoy.response_code_class=2', 'envoy.http_conn_manager_prefix=ingress_http'],
  ],
  ['listener.0.0.0.0_15001.downstream_cx_total', 'listener.downstream_cx_total', ['envoy.listener_address=0.0.0.0_15001']],
  ['listener.[__1]_443.downstream_cx_total', 'listener.downstream_cx_total', ['envoy.listener_address=[__1]_443']],
  // Envoy's default cluster_name takes one dot-free token: Istio names keep their tail in the metric name.
  [
    'cluster.outbound|80||catalog.istioinaction.svc.cluster.local.upstream_cx_total',
    'cluster.istioinaction.svc.cluster.local.upstream_cx_total',
    ['envoy.cluster_name=outbound|80||catalog'],
  ],
  // "admin" is excluded from listener_address, as in Envoy.
  ['listener.admin.downstream_cx_total', 'listener.admin.downstream_cx_total', []],
  ['http.admin.downstream_rq_total', 'http.downstream_rq_total', ['envoy.http_conn_manager_prefix=admin']],
  [
    'listener.0.0.0.0_10000.worker_0.downstream_cx_total',
    'listener.worker_downstream_cx_total',
    ['envoy.worker_id=0', 'envoy.listener_address=0.0.0.0_10000'],
  ],
  [
    'listener.0.0.0.0_80.http.ingress_http.downstream_rq_2xx',
    'listener.http.downstream_rq_xx',
    ['envoy.response_code_class=2', 'envoy.http_conn_manager_prefix=ingress_http', 'envoy.listener_address=0.0.0.0_80'],
  ],
  [
    'listener.0.0.0.0_443.ssl.ciphers.ECDHE-RSA-AES128-GCM-SHA256',
    'listener.ssl.ciphers',
    ['envoy.ssl_cipher=ECDHE-RSA-AES128-GCM-SHA256', 'envoy.listener_address=0.0.0.0_443'],
  ],
  ['cluster.c1.ssl.ciphers.AES128-SHA', 'cluster.ssl.ciphers', ['cipher_suite=AES128-SHA', 'envoy.cluster_name=c1']],
  [
    'vhost.vh1.vcluster.vc1.upstream_rq_200',
    'vhost.vcluster.upstream_rq',
    ['envoy.response_code=200', 'envoy.virtual_cluster=vc1', 'envoy.virtual_host=vh1'],
  ],
  [
    'cluster.grpc_svc.grpc.helloworld.SayHello.success',
    'cluster.grpc.success',
    ['envoy.grpc_bridge_method=SayHello', 'envoy.grpc_bridge_service=helloworld', 'envoy.cluster_name=grpc_svc'],
  ],
  [
    'http.hcm.user_agent.ios.downstream_cx_total',
    'http.user_agent.downstream_cx_total',
    ['envoy.http_user_agent=ios', 'envoy.http_conn_manager_prefix=hcm'],
  ],
  [
    'http.hcm.fault.frontend.aborts_injected',
    'http.fault.aborts_injected',
    ['envoy.fault_downstream_cluster=frontend', 'envoy.http_conn_manager_prefix=hcm'],
  ],
  // Route config names may contain dots.
  [
    'http.ingress.rds.local.route.v1.update_success',
    'http.rds.update_success',
    ['envoy.rds_route_config=local.route.v1', 'envoy.http_conn_manager_prefix=ingress'],
  ],
  [
    'http.ingress.scoped_rds.scopes.config_reload',
    'http.scoped_rds.config_reload',
    ['envoy.scoped_rds_config=scopes', 'envoy.http_conn_manager_prefix=ingress'],
  ],
  ['tcp.tcp_stats.downstream_cx_total', 'tcp.downstream_cx_total', ['envoy.tcp_prefix=tcp_stats']],
  ['auth.clientssl.cssl.auth_ok', 'auth.clientssl.auth_ok', ['envoy.clientssl_prefix=cssl']],
  ['ratelimit.rl.ok', 'ratelimit.ok', ['envoy.ratelimit_prefix=rl']],
  ['mongo.mp.cmd.insert.total', 'mongo.cmd.total', ['envoy.mongo_cmd=insert', 'envoy.mongo_prefix=mp']],
  [
    'http.hcm.dynamodb.operation.GetItem.upstream_rq_time',
    'http.dynamodb.operation.upstream_rq_time',
    ['envoy.dynamo_operation=GetItem', 'envoy.http_conn_manager_prefix=hcm'],
  ],
  [
    'http.hcm.dynamodb.table.orders.capacity.GetItem.__partition_id=ABCDEFG',
    'http.dynamodb.table.capacity',
    ['envoy.dynamo_partition_id=ABCDEFG', 'envoy.dynamo_operation=GetItem', 'envoy.dynamo_table=orders', 'envoy.http_conn_manager_prefix=hcm'],
  ],
  ['listener_manager.worker_1.dispatcher.loop_duration_us', 'listener_manager.worker_dispatcher.loop_duration_us', ['envoy.worker_id=1']],
  ['thrift.tp.request', 'thrift.request', ['envoy.thrift_prefix=tp']],
  ['redis.rp.command.get.total', 'redis.command.get.total', ['envoy.redis_prefix=rp']],
  ['local_rate_limit.lrl.rate_limited', 'local_rate_limit.rate_limited', ['envoy.local_network_ratelimit_prefix=lrl']],
  ['http_local_rate.http_local_rate_limit.rate_limited', 'http_local_rate_limit.rate_limited', ['envoy.local_http_ratelimit_prefix=http_local_rate']],
  ['connection_limit.cl.limited_connections', 'connection_limit.limited_connections', ['envoy.connection_limit_prefix=cl']],
  ['tcp_rbac.rbac.denied', 'rbac.denied', ['envoy.rbac_prefix=tcp_rbac']],
  [
    'http.hcm.rbac.rules.policy.allow_get.allowed',
    'http.rbac.policy.allowed',
    ['envoy.rbac_policy_name=allow_get', 'envoy.rbac_http_prefix=rules', 'envoy.http_conn_manager_prefix=hcm'],
  ],
  ['proxy_proto.pp.not_found_allowed', 'proxy_proto.not_found_allowed', ['envoy.proxy_protocol_prefix=pp']],
  ['proxy_proto.versions.v2.found', 'proxy_proto.found', ['envoy.proxy_protocol_version=2']],
  ['server.live', 'server.live', []],
];

test('default tag extraction matches Envoy for real stat names', () => {
  for (const [name, extracted, tags] of CASES) {
    const r = extractTags(name);
    assert.deepEqual(
      { name: r.extractedName, tags: r.tags.map((t) => `${t.name}=${t.value}`) },
      { name: extracted, tags },
      name,
    );
  }
});

test('results are cached per name and stable across calls', () => {
  const a = extractTags('cluster.cached.upstream_rq_total');
  assert.equal(extractTags('cluster.cached.upstream_rq_total'), a);
});

test("Istio's stats_tags keep the whole FQDN cluster name (defaults off)", () => {
  const extractor = createTagExtractor({
    use_all_default_tags: { value: false },
    stats_tags: [
      { tag_name: 'cluster_name', regex: '^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)' },
      {
        tag_name: 'http_conn_manager_listener_prefix',
        regex: '^listener(?=\\.).*?\\.http\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)',
      },
    ],
  });
  assert.deepEqual(extractor.extract('cluster.outbound|80||catalog.istioinaction.svc.cluster.local.upstream_cx_total'), {
    extractedName: 'cluster.upstream_cx_total',
    tags: [{ name: 'cluster_name', value: 'outbound|80||catalog.istioinaction.svc.cluster.local' }],
  });
  assert.deepEqual(extractor.extract('listener.0.0.0.0_80.http.10.0.0.1_8080.downstream_rq_total'), {
    extractedName: 'listener.0.0.0.0_80.http.downstream_rq_total',
    tags: [{ name: 'http_conn_manager_listener_prefix', value: '10.0.0.1_8080' }],
  });
  // Defaults are off: nothing else is extracted.
  assert.deepEqual(extractor.extract('http.ingress.downstream_rq_2xx').tags, []);
});

test('custom tags run after the defaults; a fixed_value tag lands on every stat', () => {
  const extractor = createTagExtractor({
    stats_tags: [
      { tag_name: 'mesh', fixed_value: 'east' },
      { tag_name: 'envoy.response_code', regex: '(_(\\d+))$' },
    ],
  });
  const r = extractor.extract('cluster.a.upstream_rq_404');
  // Same tag name twice: the default extractor matched first, so the custom one is skipped.
  assert.deepEqual(r, {
    extractedName: 'cluster.upstream_rq',
    tags: [
      { name: 'envoy.response_code', value: '404' },
      { name: 'mesh', value: 'east' },
      { name: 'envoy.cluster_name', value: 'a' },
    ],
  });
});

test('a tag_name without regex reuses the default extractor of that name', () => {
  const extractor = createTagExtractor({ use_all_default_tags: { value: false }, stats_tags: [{ tag_name: 'envoy.cluster_name' }] });
  assert.deepEqual(extractor.extract('cluster.b.upstream_rq_200'), {
    extractedName: 'cluster.upstream_rq_200',
    tags: [{ name: 'envoy.cluster_name', value: 'b' }],
  });
});

test('bad stats_tags are config errors with Envoy messages', () => {
  assert.throws(() => createTagExtractor({ stats_tags: [{ tag_name: '', regex: 'x(y)' }] }), /tag_name cannot be empty/);
  assert.throws(
    () => createTagExtractor({ stats_tags: [{ tag_name: 'nope' }] }),
    /No regex specified for tag specifier and no default regex for name: 'nope'/,
  );
  assert.throws(() => createTagExtractor({ stats_tags: [{ tag_name: 't', regex: '(unclosed' }] }), /stats_tags\[0\]\.regex/);
});
