import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { mergeSnapshots, takeSnapshot } from '../../../src/proxy/stats/snapshot.js';
import { formatDouble, renderStatsJson, renderStatsText } from '../../../src/proxy/stats/render_text.js';

// Values ≥ 10 land in bins of integer width, so the quantiles print without float noise.
function sampleStore(): StatsStore {
  const s = new StatsStore();
  s.counter('cluster.httpbin_service.upstream_rq_retry').inc(3);
  s.counter('cluster.httpbin_service.upstream_rq_total').inc(10);
  s.gauge('cluster.httpbin_service.upstream_cx_active').set(2);
  s.counter('http.ingress_http.downstream_rq_total').inc(10);
  s.counter('http.ingress_http.downstream_rq_5xx');
  s.gauge('server.live').set(1);
  const rqTime = s.histogram('cluster.httpbin_service.upstream_rq_time');
  rqTime.record(20);
  s.flushHistogramIntervals();
  rqTime.record(700);
  s.histogram('http.ingress_http.downstream_rq_time');
  return s;
}

test('/stats text: counters and gauges interleaved by name, then histograms', () => {
  assert.equal(
    renderStatsText(takeSnapshot(sampleStore())),
    [
      'cluster.httpbin_service.upstream_cx_active: 2',
      'cluster.httpbin_service.upstream_rq_retry: 3',
      'cluster.httpbin_service.upstream_rq_total: 10',
      'http.ingress_http.downstream_rq_5xx: 0',
      'http.ingress_http.downstream_rq_total: 10',
      'server.live: 1',
      'cluster.httpbin_service.upstream_rq_time: P0(20,20) P25(20.25,20.5) P50(20.5,21) P75(20.75,705) ' +
        'P90(20.9,708) P95(20.95,709) P99(20.99,709.8) P99.5(20.995,709.9) P99.9(20.999,709.98) P100(21,710)',
      'http.ingress_http.downstream_rq_time: No recorded values',
      '',
    ].join('\n'),
  );
});

test('an interval without values prints nan, as Envoy does', () => {
  const s = new StatsStore();
  s.histogram('cluster.a.upstream_cx_length_ms').record(50);
  s.flushHistogramIntervals();
  s.flushHistogramIntervals(); // the last completed interval is now empty
  assert.equal(
    renderStatsText(takeSnapshot(s)),
    'cluster.a.upstream_cx_length_ms: P0(nan,50) P25(nan,50.25) P50(nan,50.5) P75(nan,50.75) P90(nan,50.9) ' +
      'P95(nan,50.95) P99(nan,50.99) P99.5(nan,50.995) P99.9(nan,50.999) P100(nan,51)\n',
  );
});

test('?filter= is a partial regex match on the full name; ?usedonly drops untouched stats', () => {
  const snap = takeSnapshot(sampleStore());
  assert.equal(
    renderStatsText(snap, { filter: /rq_(retry|total)/ }),
    'cluster.httpbin_service.upstream_rq_retry: 3\n' +
      'cluster.httpbin_service.upstream_rq_total: 10\n' +
      'http.ingress_http.downstream_rq_total: 10\n',
  );
  const used = renderStatsText(snap, { usedOnly: true, filter: /^http\./ });
  assert.equal(used, 'http.ingress_http.downstream_rq_total: 10\n');
  // A global regex keeps no state between names.
  assert.equal(renderStatsText(snap, { filter: /upstream_rq_t/g }).split('\n').length, 3);
});

test('?type= selects one kind of stat', () => {
  const snap = takeSnapshot(sampleStore());
  assert.equal(renderStatsText(snap, { type: 'Gauges' }), 'cluster.httpbin_service.upstream_cx_active: 2\nserver.live: 1\n');
  assert.equal(renderStatsText(snap, { type: 'Counters', filter: /retry/ }), 'cluster.httpbin_service.upstream_rq_retry: 3\n');
  assert.equal(
    renderStatsText(snap, { type: 'Histograms', usedOnly: true }).split(':')[0],
    'cluster.httpbin_service.upstream_rq_time',
  );
  assert.equal(renderStatsText(snap, { type: 'TextReadouts' }), '');
});

test('/stats?format=json has Envoy\'s shape: stats, then one histograms entry with null for empty', () => {
  const json = JSON.parse(renderStatsJson(takeSnapshot(sampleStore()), { filter: /httpbin|downstream_rq_time/ }));
  assert.deepEqual(json.stats.slice(0, 3), [
    { name: 'cluster.httpbin_service.upstream_cx_active', value: 2 },
    { name: 'cluster.httpbin_service.upstream_rq_retry', value: 3 },
    { name: 'cluster.httpbin_service.upstream_rq_total', value: 10 },
  ]);
  assert.equal(json.stats.length, 4);
  const { histograms } = json.stats[3];
  assert.deepEqual(histograms.supported_quantiles, [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
  assert.deepEqual(
    histograms.computed_quantiles.map((h: { name: string }) => h.name),
    ['cluster.httpbin_service.upstream_rq_time', 'http.ingress_http.downstream_rq_time'],
  );
  assert.deepEqual(histograms.computed_quantiles[0].values[2], { interval: 20.5, cumulative: 21 });
  assert.deepEqual(histograms.computed_quantiles[1].values[0], { interval: null, cumulative: null });
  assert.equal(histograms.computed_quantiles[1].values.length, 10);
});

test('JSON without histograms has no histograms entry', () => {
  assert.equal(
    renderStatsJson(takeSnapshot(sampleStore()), { type: 'Counters', filter: /retry/ }),
    '{"stats":[{"name":"cluster.httpbin_service.upstream_rq_retry","value":3}]}',
  );
  assert.equal(renderStatsJson(takeSnapshot(new StatsStore())), '{"stats":[]}');
});

test('merged worker snapshots render summed counters, gauges and histograms', () => {
  const w1 = new StatsStore();
  const w2 = new StatsStore();
  w1.counter('cluster.c.upstream_rq_total').inc(2);
  w2.counter('cluster.c.upstream_rq_total').inc(5);
  w1.gauge('cluster.c.upstream_cx_active').set(1);
  w2.gauge('cluster.c.upstream_cx_active').set(3);
  w1.gauge('server.concurrency', 'never_import').set(2);
  w2.gauge('server.concurrency', 'never_import').set(2);
  w1.histogram('cluster.c.upstream_rq_time').record(10);
  w2.histogram('cluster.c.upstream_rq_time').record(30);
  const merged = mergeSnapshots([takeSnapshot(w1), takeSnapshot(w2)]);
  assert.equal(
    renderStatsText(merged),
    'cluster.c.upstream_cx_active: 4\n' +
      'cluster.c.upstream_rq_total: 7\n' +
      'server.concurrency: 2\n' +
      'cluster.c.upstream_rq_time: P0(nan,10) P25(nan,10.5) P50(nan,11) P75(nan,30.5) P90(nan,30.8) ' +
      'P95(nan,30.9) P99(nan,30.98) P99.5(nan,30.99) P99.9(nan,30.998) P100(nan,31)\n',
  );
});

test('doubles print like {fmt}: shortest by default, %.32g when asked', () => {
  assert.equal(formatDouble(NaN), 'nan');
  assert.equal(formatDouble(5.05), '5.05');
  assert.equal(formatDouble(0.00001), '1e-05');
  assert.equal(formatDouble(1e16), '1e+16');
  assert.equal(formatDouble(3600000), '3600000');
  assert.equal(formatDouble(0.5, 32), '0.5');
  assert.equal(formatDouble(2.05, 32), '2.049999999999999822364316059975');
  assert.equal(formatDouble(123456789012345680000, 32), '123456789012345683968');
});
