import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { mergeSnapshots, takeSnapshot } from '../../../src/proxy/stats/snapshot.js';
import {
  DEFAULT_HISTOGRAM_BUCKETS,
  histogramBucketsFor,
  renderPrometheus,
} from '../../../src/proxy/stats/render_prometheus.js';
import { createTagExtractor } from '../../../src/proxy/stats/tags.js';

test('counters and gauges: one TYPE line per family, tags as labels, Envoy order', () => {
  const s = new StatsStore();
  s.counter('cluster.httpbin_service.upstream_rq_retry').inc(3);
  s.counter('cluster.backend.upstream_rq_retry').inc(1);
  s.counter('cluster.httpbin_service.upstream_rq_503').inc(2);
  s.counter('cluster.httpbin_service.upstream_rq_200').inc(8);
  s.counter('http.ingress_http.downstream_rq_2xx').inc(8);
  s.counter('listener.0.0.0.0_15001.downstream_cx_total').inc(4);
  s.counter('cluster.outbound|80||catalog.istioinaction.svc.cluster.local.upstream_cx_total').inc(6);
  s.gauge('server.live').set(1);
  s.gauge('cluster.httpbin_service.upstream_cx_active').set(2);
  assert.equal(
    renderPrometheus(takeSnapshot(s)),
    [
      '# TYPE envoy_cluster_istioinaction_svc_cluster_local_upstream_cx_total counter',
      'envoy_cluster_istioinaction_svc_cluster_local_upstream_cx_total{envoy_cluster_name="outbound|80||catalog"} 6',
      '# TYPE envoy_cluster_upstream_rq counter',
      'envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="httpbin_service"} 8',
      'envoy_cluster_upstream_rq{envoy_response_code="503",envoy_cluster_name="httpbin_service"} 2',
      '# TYPE envoy_cluster_upstream_rq_retry counter',
      'envoy_cluster_upstream_rq_retry{envoy_cluster_name="backend"} 1',
      'envoy_cluster_upstream_rq_retry{envoy_cluster_name="httpbin_service"} 3',
      '# TYPE envoy_http_downstream_rq_xx counter',
      'envoy_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="ingress_http"} 8',
      '# TYPE envoy_listener_downstream_cx_total counter',
      'envoy_listener_downstream_cx_total{envoy_listener_address="0.0.0.0_15001"} 4',
      '# TYPE envoy_cluster_upstream_cx_active gauge',
      'envoy_cluster_upstream_cx_active{envoy_cluster_name="httpbin_service"} 2',
      '# TYPE envoy_server_live gauge',
      'envoy_server_live{} 1',
      '',
    ].join('\n'),
  );
});

function histogramStore(): StatsStore {
  const s = new StatsStore();
  const h = s.histogram('cluster.httpbin_service.upstream_rq_time');
  for (const v of [0, 3, 7, 20, 20, 40, 700, 45000]) h.record(v);
  return s;
}

test('histograms: cumulative _bucket series with Envoy default bounds, then +Inf, _sum, _count', () => {
  const out = renderPrometheus(takeSnapshot(histogramStore()));
  const counts = [1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8];
  const expected = [
    '# TYPE envoy_cluster_upstream_rq_time histogram',
    ...DEFAULT_HISTOGRAM_BUCKETS.map(
      (b, i) => `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="httpbin_service",le="${b}"} ${counts[i]}`,
    ),
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="httpbin_service",le="+Inf"} 8',
    'envoy_cluster_upstream_rq_time_sum{envoy_cluster_name="httpbin_service"} 45790',
    'envoy_cluster_upstream_rq_time_count{envoy_cluster_name="httpbin_service"} 8',
    '',
  ];
  assert.equal(out, expected.join('\n'));
  assert.match(out, /_bucket\{envoy_cluster_name="httpbin_service",le="0\.5"\} 1\n/);
  assert.match(out, /le="3600000"\} 8\n/);
});

test('bucket counts never decrease and end at the sample count', () => {
  const s = new StatsStore();
  const h = s.histogram('http.ingress.downstream_rq_time');
  for (let i = 0; i < 500; i++) h.record((i * 7919) % 100_000 / 10);
  const lines = renderPrometheus(takeSnapshot(s)).split('\n').filter((l) => l.includes('_bucket'));
  const values = lines.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  assert.equal(values.length, DEFAULT_HISTOGRAM_BUCKETS.length + 1);
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!, lines[i]);
  assert.equal(values[values.length - 1], 500);
});

test('a histogram without tags has le as its only label and {} on _sum/_count', () => {
  const s = new StatsStore();
  s.histogram('server.initialization_time_ms').record(100);
  const out = renderPrometheus(takeSnapshot(s));
  assert.match(out, /^envoy_server_initialization_time_ms_bucket\{le="50"\} 0$/m);
  assert.match(out, /^envoy_server_initialization_time_ms_bucket\{le="100"\} 0$/m);
  assert.match(out, /^envoy_server_initialization_time_ms_bucket\{le="250"\} 1$/m);
  assert.match(out, /^envoy_server_initialization_time_ms_sum\{\} 100$/m);
  assert.match(out, /^envoy_server_initialization_time_ms_count\{\} 1$/m);
});

test('usedOnly and filter (partial match on the full stat name)', () => {
  const s = new StatsStore();
  s.counter('cluster.a.upstream_rq_retry').inc();
  s.counter('cluster.b.upstream_rq_retry');
  s.counter('cluster.a.upstream_cx_total').inc(2);
  s.histogram('cluster.a.upstream_rq_time');
  const snap = takeSnapshot(s);
  assert.equal(
    renderPrometheus(snap, { usedOnly: true }),
    '# TYPE envoy_cluster_upstream_cx_total counter\n' +
      'envoy_cluster_upstream_cx_total{envoy_cluster_name="a"} 2\n' +
      '# TYPE envoy_cluster_upstream_rq_retry counter\n' +
      'envoy_cluster_upstream_rq_retry{envoy_cluster_name="a"} 1\n',
  );
  assert.equal(
    renderPrometheus(snap, { filter: /\.b\./ }),
    '# TYPE envoy_cluster_upstream_rq_retry counter\nenvoy_cluster_upstream_rq_retry{envoy_cluster_name="b"} 0\n',
  );
});

test('label values are escaped; custom stats_tags name the labels', () => {
  const s = new StatsStore();
  s.counter('cluster.outbound|80||catalog.istioinaction.svc.cluster.local.upstream_rq_retry').inc(2);
  s.counter('tcp.say "hi"\\now.downstream_cx_total').inc();
  const plain = renderPrometheus(takeSnapshot(s));
  assert.match(
    plain,
    /^envoy_cluster_istioinaction_svc_cluster_local_upstream_rq_retry\{envoy_cluster_name="outbound\|80\|\|catalog"\} 2$/m,
  );
  assert.match(plain, /^envoy_tcp_downstream_cx_total\{envoy_tcp_prefix="say \\"hi\\"\\\\now"\} 1$/m);

  // Added on top of the defaults, both cluster tags apply and both spans leave the name.
  const withDefaults = createTagExtractor({
    stats_tags: [{ tag_name: 'cluster_name', regex: '^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)' }],
  });
  assert.match(
    renderPrometheus(takeSnapshot(s), { tagExtractor: withDefaults }),
    /^envoy_cluster_upstream_rq_retry\{envoy_cluster_name="outbound\|80\|\|catalog",cluster_name="outbound\|80\|\|catalog\.istioinaction\.svc\.cluster\.local"\} 2$/m,
  );

  const istioOnly = createTagExtractor({
    use_all_default_tags: { value: false },
    stats_tags: [{ tag_name: 'cluster_name', regex: '^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)' }],
  });
  assert.match(
    renderPrometheus(takeSnapshot(s), { tagExtractor: istioOnly }),
    /^envoy_cluster_upstream_rq_retry\{cluster_name="outbound\|80\|\|catalog\.istioinaction\.svc\.cluster\.local"\} 2$/m,
  );
});

test('merged snapshots from two workers render as one series per stat', () => {
  const w1 = new StatsStore();
  const w2 = new StatsStore();
  w1.counter('cluster.httpbin_service.upstream_rq_retry').inc(1);
  w2.counter('cluster.httpbin_service.upstream_rq_retry').inc(2);
  w1.histogram('cluster.httpbin_service.upstream_cx_connect_ms').record(2);
  w2.histogram('cluster.httpbin_service.upstream_cx_connect_ms').record(12);
  const out = renderPrometheus(mergeSnapshots([takeSnapshot(w1), takeSnapshot(w2)]));
  assert.match(out, /^envoy_cluster_upstream_rq_retry\{envoy_cluster_name="httpbin_service"\} 3$/m);
  assert.match(out, /^envoy_cluster_upstream_cx_connect_ms_bucket\{envoy_cluster_name="httpbin_service",le="5"\} 1$/m);
  assert.match(out, /^envoy_cluster_upstream_cx_connect_ms_bucket\{envoy_cluster_name="httpbin_service",le="25"\} 2$/m);
  assert.match(out, /^envoy_cluster_upstream_cx_connect_ms_sum\{envoy_cluster_name="httpbin_service"\} 14$/m);
  assert.match(out, /^envoy_cluster_upstream_cx_connect_ms_count\{envoy_cluster_name="httpbin_service"\} 2$/m);
  assert.equal(out.match(/^# TYPE /gm)?.length, 2);
});

test('histogram_bucket_settings pick buckets per stat name', () => {
  const bucketsFor = histogramBucketsFor({
    histogram_bucket_settings: [{ match: { prefix: 'cluster.' }, buckets: [100, 10, 1000] }],
  });
  assert.deepEqual(bucketsFor('cluster.a.upstream_rq_time'), [10, 100, 1000]);
  assert.equal(bucketsFor('http.x.downstream_rq_time'), DEFAULT_HISTOGRAM_BUCKETS);
  const s = new StatsStore();
  s.histogram('cluster.a.upstream_rq_time').record(50);
  const lines = renderPrometheus(takeSnapshot(s), { bucketsFor }).split('\n').filter((l) => l.includes('_bucket'));
  assert.deepEqual(lines, [
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="10"} 0',
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="100"} 1',
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="1000"} 1',
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="+Inf"} 1',
  ]);
});
