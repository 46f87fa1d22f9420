// tcp_proxy config: what is accepted, what is rejected with which field path, and that
// the declared stats are exactly Envoy's (ALL_TCP_PROXY_STATS, tcp_proxy.h).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { staticCluster, startProxy } from '../../../helpers/proxy.js';
import { TCP_PROXY_STATS } from '../../../../src/proxy/network/tcp_proxy/stats.js';
import { tcpBootstrap, withTcpProxy } from './helpers.js';

const CLUSTERS = staticCluster('echo', [9]);

async function rejects(tcpProxy: string, message: RegExp): Promise<void> {
  await assert.rejects(async () => {
    const proxy = await startProxy(tcpBootstrap(tcpProxy, CLUSTERS));
    await proxy.stop();
  }, message);
}

describe('tcp_proxy config', () => {
  it('accepts the common fields, including the deprecated name envoy.tcp_proxy', async () => {
    const config = `stat_prefix: ok
cluster: echo
idle_timeout: 0s
max_connect_attempts: 3
max_downstream_connection_duration: 60s
metadata_match: { filter_metadata: { envoy.lb: { version: v1 } } }
access_log_options: { flush_access_log_on_connected: true, access_log_flush_interval: 10s }`;
    await withTcpProxy(config, CLUSTERS, async (proxy) => {
      const dump = (await (await fetch(`${proxy.adminUrl}/config_dump`)).json()) as unknown;
      assert.match(JSON.stringify(dump), /envoy\.extensions\.filters\.network\.tcp_proxy\.v3\.TcpProxy/);
    });
    const byName = tcpBootstrap('stat_prefix: legacy\ncluster: echo', CLUSTERS).replace(/name: envoy\.filters\.network\.tcp_proxy\n\s+typed_config:\n\s+"@type": \S+\n/, 'name: envoy.tcp_proxy\n        typed_config:\n          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n');
    const proxy = await startProxy(byName);
    await proxy.stop();
  });

  it('rejects tunneling_config and on_demand, which skein does not implement', async () => {
    await rejects('stat_prefix: t\ncluster: echo\ntunneling_config: { hostname: example.com:443 }', /tunneling_config.*not supported/);
    await rejects('stat_prefix: t\ncluster: echo\non_demand: { odcds_config: { ads: {} } }', /on_demand.*not supported/);
  });

  it('requires stat_prefix and a cluster specifier, and positive weights', async () => {
    await rejects('cluster: echo', /stat_prefix/);
    await rejects('stat_prefix: s', /cluster/);
    await rejects('stat_prefix: s\nweighted_clusters: { clusters: [] }', /weighted_clusters/);
    await rejects('stat_prefix: s\nweighted_clusters: { clusters: [{ name: echo, weight: 0 }] }', /weight/);
    await rejects('stat_prefix: s\ncluster: echo\nmax_connect_attempts: 0', /max_connect_attempts/);
  });

  it('rejects both the deprecated access log fields and access_log_options', async () => {
    await rejects('stat_prefix: s\ncluster: echo\nflush_access_log_on_connected: true\naccess_log_options: {}', /only one of flush_access_log_on_connected or access_log_options/);
  });

  it('declares exactly the stats of Envoy\'s ALL_TCP_PROXY_STATS', () => {
    assert.deepEqual([...TCP_PROXY_STATS.declarations.counters].sort(), [
      'downstream_cx_no_route', 'downstream_cx_rx_bytes_total', 'downstream_cx_total', 'downstream_cx_tx_bytes_total',
      'downstream_flow_control_paused_reading_total', 'downstream_flow_control_resumed_reading_total',
      'early_data_received_count_total', 'idle_timeout', 'max_downstream_connection_duration', 'upstream_flush_total',
    ]);
    assert.deepEqual([...TCP_PROXY_STATS.declarations.gauges].sort(), ['downstream_cx_rx_bytes_buffered', 'downstream_cx_tx_bytes_buffered', 'upstream_flush_active']);
    assert.deepEqual(TCP_PROXY_STATS.declarations.histograms, []);
  });
});
