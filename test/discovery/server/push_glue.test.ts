// The discovery server's glue with a stand-in translator (so each failure can be
// staged): config for a proxy on its first request, malformed node ids refused,
// inconsistent or failing builds logged while the proxy keeps its config, warnings
// logged once, debounced pushes, reconnects with new metadata, forgetting proxies.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { logRegistry } from '../../../src/common/logger.js';
import type { Proxy, ProxyResources, PushContext } from '../../../src/discovery/model/types.js';
import { DiscoveryServer, type PushEvent } from '../../../src/discovery/server/index.js';
import { tempDir } from '../../helpers/process.js';
import { waitFor } from '../../helpers/wait.js';
import { XdsTestClient, ackOf, namesIn, type SotwClient } from '../xds/client.js';
import { capturingLogger, NAMESPACE_YAML, SERVICES_YAML } from './coolstore.js';

type Obj = Record<string, unknown>;

if (!process.env.SKEIN_TEST_LOGS) logRegistry.setLevel('xds', 'critical');
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** What the stand-in translator does; tests flip these. */
const stage = {
  routeTag: 'one',
  inconsistentFor: new Set<string>(),
  throwFor: new Set<string>(),
  warnings: [] as string[],
  builtFor: [] as Proxy[],
};

function fakeBuild(_push: PushContext, proxy: Proxy): ProxyResources & { warnings: string[] } {
  stage.builtFor.push(proxy);
  if (stage.throwFor.has(proxy.id)) throw new Error('translation exploded');
  const route = {
    name: 'r',
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }],
    response_headers_to_add: [{ header: { key: 'x-tag', value: `${stage.routeTag}-${proxy.labels.app ?? ''}` } }],
  };
  return {
    listeners: [
      {
        name: 'l',
        address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
        filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM, stat_prefix: 'x', rds: { route_config_name: 'r', config_source: { ads: {} } }, http_filters: [] } }] }],
      },
    ],
    routes: stage.inconsistentFor.has(proxy.id) ? [] : [route],
    clusters: [{ name: 'c', type: 'STATIC', connect_timeout: '1s' }],
    endpoints: [],
    secrets: [],
    warnings: stage.warnings,
  };
}

const nodeOf = (pod: string, labels: Record<string, string> = { app: pod }) => ({
  id: `sidecar~10.0.0.1~${pod}.istioinaction~istioinaction.svc.cluster.local`,
  cluster: `${pod}.istioinaction`,
  metadata: { LABELS: labels, NAMESPACE: 'istioinaction', ISTIO_VERSION: '1.17.8' },
});

const routeTag = (r: { resources?: unknown[] }) => {
  const rc = r.resources?.[0] as { response_headers_to_add?: Array<{ header: { value: string } }> } | undefined;
  return rc?.response_headers_to_add?.[0]?.header.value;
};

describe('DiscoveryServer push glue (stand-in translator)', () => {
  const dir = tempDir('skein-discovery-glue-');
  fs.writeFileSync(`${dir}/mesh.yaml`, `${NAMESPACE_YAML}---\n${SERVICES_YAML}`);
  const { logger, lines } = capturingLogger();
  let server: DiscoveryServer;
  let port: number;
  let debug: string;
  const pushes: PushEvent[] = [];
  const clients: SotwClient[] = [];

  const connect = (): SotwClient => {
    const c = XdsTestClient.sotw(port);
    clients.push(c);
    return c;
  };
  /** Opens a stream for `node` and takes its CDS, LDS and RDS answers (ACKing each). */
  async function subscribe(node: Obj): Promise<{ c: SotwClient; rds: Awaited<ReturnType<SotwClient['next']>> }> {
    const c = connect();
    c.send({ node, type_url: CLUSTER_TYPE });
    const cds = await c.next();
    assert.deepEqual(namesIn(cds), ['c']);
    c.send(ackOf(cds));
    c.send({ type_url: LISTENER_TYPE });
    const lds = await c.next();
    c.send(ackOf(lds));
    c.send({ type_url: ROUTE_TYPE, resource_names: ['r'] });
    const rds = await c.next();
    c.send(ackOf(rds, ['r']));
    return { c, rds };
  }
  const pushAndWait = async (): Promise<PushEvent> => {
    const n = pushes.length;
    server.setPods([]);
    server.flushPush();
    await waitFor(() => pushes.length > n, 'a push');
    return pushes[pushes.length - 1]!;
  };

  before(async () => {
    server = new DiscoveryServer({ configPaths: [dir], xdsPort: 0, xdsHost: '127.0.0.1', debugPort: 0, debounceMs: 20, logger, buildResources: fakeBuild, forgetAfterMs: 150 });
    server.on('push', (e) => pushes.push(e));
    const ports = await server.start();
    port = ports.xdsPort;
    debug = `http://127.0.0.1:${ports.debugPort}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a new proxy\'s first request at once, from config generated for it', async () => {
    const { rds } = await subscribe(nodeOf('web'));
    assert.equal(routeTag(rds), 'one-web');
    assert.ok(stage.builtFor.some((p) => p.podName === 'web' && p.namespace === 'istioinaction'));
    assert.ok(lines.some((l) => /proxy sidecar~10\.0\.0\.1~web\.istioinaction~\S+ connected: sidecar web\.istioinaction/.test(l)), lines.join('\n'));
  });

  it('ends the stream of a malformed node id with INVALID_ARGUMENT, logging it once', async () => {
    for (let i = 0; i < 2; i++) {
      const c = connect();
      c.send({ node: { id: 'garbage' }, type_url: CLUSTER_TYPE });
      const status = await c.ended;
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.details, /invalid proxy id "garbage"/);
    }
    assert.equal(lines.filter((l) => l.includes('refused xDS stream: invalid proxy id "garbage"')).length, 1);
    assert.equal((await fetch(`${debug}/ready`)).status, 200);
  });

  it('merges a burst of changes into one push', async () => {
    const n = pushes.length;
    for (let i = 0; i < 5; i++) server.setPods([]);
    server.flushPush();
    assert.equal(pushes.length, n + 1);
    assert.equal(pushes[n]!.reason, 'pods');
    assert.equal(pushes[n]!.changed, 0, 'nothing changed, so nothing is republished');
    assert.ok(lines.some((l) => /\[info\]\[discovery\] push v\d+: 1 proxies, [\d.]+ ms \(pods\)/.test(l)), lines.slice(-5).join('\n'));
  });

  it('keeps a proxy\'s config when its new one is inconsistent, and says why', async () => {
    const { c } = await subscribe(nodeOf('api'));
    const id = nodeOf('api').id;
    stage.inconsistentFor.add(id);
    stage.routeTag = 'two';
    const event = await pushAndWait();
    assert.equal(event.proxies, 1, 'only the healthy proxy was pushed');
    assert.ok(lines.some((l) => l.includes(`[error][discovery] proxy ${id}: generated config is inconsistent: listener "l" refers to RDS resource "r", which is missing`)), lines.slice(-5).join('\n'));
    const dump = server.configDump(id) as { configs: Array<Obj & { dynamic_route_configs?: unknown[] }> };
    assert.equal(dump.configs.find((s) => String(s['@type']).endsWith('RoutesConfigDump'))!.dynamic_route_configs!.length, 1, 'the previous route is still served');
    const issues = (await (await fetch(`${debug}/debug/config_issues`)).json()) as { proxies: Array<{ proxy: string }> };
    assert.deepEqual(issues.proxies.map((p) => p.proxy), [id]);

    stage.inconsistentFor.clear();
    const fixed = await pushAndWait();
    assert.deepEqual([fixed.proxies, fixed.changed], [2, 1], 'both regenerated, only the fixed one changed');
    const rds = await c.next();
    assert.equal(routeTag(rds), 'two-api');
    const cleared = (await (await fetch(`${debug}/debug/config_issues`)).json()) as { proxies: unknown[] };
    assert.deepEqual(cleared.proxies, []);
  });

  it('pushes the other proxies when one proxy\'s translation throws', async () => {
    const bad = nodeOf('web').id;
    stage.throwFor.add(bad);
    const before = server.proxyStatus().length;
    const event = await pushAndWait();
    assert.equal(event.proxies, server.connectedProxies().length - 1);
    assert.ok(lines.some((l) => l.includes(`proxy ${bad}: cannot generate config: Error: translation exploded`)));
    assert.equal(server.proxyStatus().length, before, 'no stream was ended');
    stage.throwFor.clear();
  });

  it('logs a translation warning once, however many proxies and pushes repeat it', async () => {
    stage.warnings = ['VirtualService istioinaction/x: host "nope" matches no service'];
    await pushAndWait();
    await pushAndWait();
    assert.equal(lines.filter((l) => l.includes('host "nope" matches no service')).length, 1);
    stage.warnings = [...stage.warnings, 'another warning'];
    await pushAndWait();
    assert.equal(lines.filter((l) => l.includes('host "nope" matches no service')).length, 1);
    assert.equal(lines.filter((l) => l.includes('another warning')).length, 1);
    const issues = (await (await fetch(`${debug}/debug/config_issues`)).json()) as { translation: string[] };
    assert.ok(issues.translation.includes('another warning'));
    stage.warnings = [];
  });

  it('regenerates config for a proxy that reconnects with different labels', async () => {
    const { rds } = await subscribe(nodeOf('api', { app: 'api-v2' }));
    assert.match(routeTag(rds)!, /-api-v2$/);
  });

  it('forgets a proxy some time after its last stream closed', async () => {
    const id = nodeOf('gone').id;
    const { c } = await subscribe(nodeOf('gone'));
    assert.ok(server.connectedProxies().some((p) => p.id === id));
    c.close();
    await waitFor(() => !server.connectedProxies().some((p) => p.id === id), 'the proxy to be forgotten');
    // A proxy that comes back is served again from scratch.
    const again = await subscribe(nodeOf('gone'));
    assert.ok(routeTag(again.rds));
  });

  it('serves delta xDS streams the same way', async () => {
    const c = XdsTestClient.delta(port);
    try {
      c.send({ node: nodeOf('delta-client'), type_url: ROUTE_TYPE, resource_names_subscribe: ['r'] });
      const r = await c.next();
      assert.deepEqual(r.resources!.map((x) => x.name), ['r']);
      const rc = r.resources![0]!.resource as { response_headers_to_add?: Array<{ header: { value: string } }> };
      assert.equal(rc.response_headers_to_add?.[0]?.header.value, `${stage.routeTag}-delta-client`);
    } finally {
      c.close();
    }
  });
});
