// A real proxy configured over xDS by a real xDS server (both in this process, over
// gRPC on loopback): warming, updates, removals, NACKs with error_state, SDS
// certificates, and what config_dump and /ready show along the way.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { SnapshotCache } from '../../../src/discovery/xds/cache/snapshot_cache.js';
import { Snapshot, type ResourcesByType } from '../../../src/discovery/xds/cache/snapshot.js';
import { XdsServer } from '../../../src/discovery/xds/server.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../src/api/xds/resource_types.js';
import { logRegistry } from '../../../src/common/logger.js';
import { startEcho } from '../../../src/testing/echo/index.js';
import { createPki, type Pki } from '../../helpers/pki.js';
import { startProxy, type RunningProxy } from '../../helpers/proxy.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

type Upstream = Awaited<ReturnType<typeof startEcho>>;
type Obj = Record<string, unknown>;

if (!process.env.SKEIN_TEST_LOGS) logRegistry.setLevel('xds', 'critical');

const edsCluster = (name: string, source: Obj = { ads: {} }) => ({ name, type: 'EDS', connect_timeout: { seconds: 1, nanos: 0 }, eds_cluster_config: { eds_config: source } });
const assignment = (cluster: string, port: number) => ({
  cluster_name: cluster,
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
});
const routeConfig = (name: string, cluster: string, header?: string) => ({
  name,
  virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
  ...(header ? { response_headers_to_add: [{ header: { key: 'x-route', value: header } }] } : {}),
});
const hcm = (route: string, source: Obj = { ads: {} }, filters: Obj[] = [ROUTER]) => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: { '@type': HCM, stat_prefix: 'dyn', rds: { route_config_name: route, config_source: source }, http_filters: filters },
});
const listener = (name: string, port: number, route: string, extra: Obj = {}) => ({
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [{ filters: [hcm(route)] }],
  ...extra,
});

/** A bootstrap that gets everything over ADS from `xdsPort` (plus extra static clusters). */
function adsBootstrap(xdsPort: number, opts: { delta?: boolean; extraClusters?: Obj[] } = {}): string {
  const xdsCluster = (name: string, port: number) => ({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  });
  return JSON.stringify({
    node: { id: 'test-proxy', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    dynamic_resources: {
      ads_config: { api_type: opts.delta ? 'DELTA_GRPC' : 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] },
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: { clusters: [xdsCluster('xds', xdsPort), ...(opts.extraClusters ?? []).map((c) => (typeof c.port === 'number' ? xdsCluster(String(c.name), c.port) : c))] },
  });
}

interface ControlPlane {
  cache: SnapshotCache;
  server: XdsServer;
  port: number;
  version: number;
  publish(resources: ResourcesByType): void;
}

async function startControlPlane(): Promise<ControlPlane> {
  const cache = new SnapshotCache({ nodeHash: () => 'all' });
  const server = new XdsServer({ cache });
  const { port } = await server.listen(0, '127.0.0.1');
  let previous: Snapshot | undefined;
  const cp: ControlPlane = {
    cache,
    server,
    port,
    version: 0,
    publish(resources) {
      previous = Snapshot.fromResources(String(++cp.version), resources, previous);
      cache.setSnapshot('all', previous);
    },
  };
  return cp;
}

async function get(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function configDump(proxy: RunningProxy, resource: string): Promise<Obj[]> {
  const body = (await (await fetch(`${proxy.adminUrl}/config_dump?resource=${resource}`)).json()) as { configs: Obj[] };
  return body.configs;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePortListener(proxy: RunningProxy, name: string): number {
  return proxy.port(name);
}

for (const delta of [false, true]) {
  describe(`xDS-driven proxy (${delta ? 'delta' : 'state of the world'})`, () => {
    const up: Record<'a' | 'b', Upstream> = {} as never;
    let cp: ControlPlane;
    let proxy: RunningProxy;
    const base = (): ResourcesByType => ({
      [CLUSTER_TYPE]: [edsCluster('svc')],
      [ENDPOINT_TYPE]: [assignment('svc', up.a.port)],
      [LISTENER_TYPE]: [listener('web', 0, 'web_route')],
      [ROUTE_TYPE]: [routeConfig('web_route', 'svc')],
    });

    before(async () => {
      up.a = await startEcho({ port: 0, host: '127.0.0.1', service: 'a' });
      up.b = await startEcho({ port: 0, host: '127.0.0.1', service: 'b' });
      cp = await startControlPlane();
      cp.publish(base());
      proxy = await startProxy(adsBootstrap(cp.port, { delta }));
    });
    after(async () => {
      await proxy?.stop();
      await cp?.server.close();
      await Promise.all(Object.values(up).map((u) => u.close()));
    });

    it('starts LIVE with everything it was given, and config_dump shows the dynamic versions', async () => {
      assert.equal((await get(`${proxy.adminUrl}/ready`)).body.trim(), 'LIVE');
      const reply = await get(proxy.url('web', '/hello'));
      assert.equal(reply.status, 200);
      assert.equal((JSON.parse(reply.body) as { service: string }).service, 'a');
      const [clusters] = await configDump(proxy, 'dynamic_active_clusters').then((c) => [c]);
      assert.equal(clusters.length, 1);
      assert.equal(clusters[0]!.version_info, '1');
      assert.equal((clusters[0]!.cluster as Obj).name, 'svc');
      const listeners = await configDump(proxy, 'dynamic_listeners');
      assert.equal(listeners[0]!.name, 'web');
      assert.equal((listeners[0]!.active_state as Obj).version_info, '1');
      const routes = await configDump(proxy, 'dynamic_route_configs');
      assert.equal((routes[0]!.route_config as Obj).name, 'web_route');
    });

    it('applies a route change to the next request, on the same listener', async () => {
      const before = cp.version;
      cp.publish({ ...base(), [ROUTE_TYPE]: [routeConfig('web_route', 'svc', `v${before + 1}`)] });
      await waitFor(async () => (await get(proxy.url('web'))).headers.get('x-route') === `v${before + 1}`, 'the new route');
      const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=rds.web_route.update_success`)).text();
      assert.match(stats, /http\.dyn\.rds\.web_route\.update_success: [2-9]/);
    });

    it('moves traffic when the endpoints change', async () => {
      cp.publish({ ...base(), [ENDPOINT_TYPE]: [assignment('svc', up.b.port)] });
      await waitFor(async () => (JSON.parse((await get(proxy.url('web'))).body) as { service: string }).service === 'b', 'endpoint b');
    });

    it('keeps the last good listener when an update is invalid, and shows why in error_state', async () => {
      const broken = listener('web', 0, 'web_route');
      (broken.filter_chains[0]!.filters[0]!.typed_config as Obj).http_filters = [ROUTER, { name: 'second.router', typed_config: ROUTER.typed_config }];
      cp.publish({ ...base(), [LISTENER_TYPE]: [broken] });
      await waitFor(async () => Boolean((await configDump(proxy, 'dynamic_listeners'))[0]!.error_state), 'error_state');
      const [entry] = await configDump(proxy, 'dynamic_listeners');
      const error = entry!.error_state as Obj;
      assert.match(String(error.details), /terminal filter named envoy\.filters\.http\.router .* must be the last filter/);
      assert.equal((entry!.active_state as Obj).version_info !== String(cp.version), true, 'the rejected version is not active');
      assert.equal((await get(proxy.url('web'))).status, 200);
      const status = cp.server.proxyStatus()[0]!;
      assert.equal(status.types.LDS?.state, 'STALE');
      assert.match(String(status.types.LDS?.lastNack?.message), /must be the last filter/);
      // Fixing it clears the error.
      cp.publish(base());
      await waitFor(async () => !(await configDump(proxy, 'dynamic_listeners'))[0]!.error_state, 'error_state cleared');
      await waitFor(() => cp.server.proxyStatus()[0]!.types.LDS?.state === 'SYNCED', 'LDS synced');
    });

    it('adds and removes listeners and clusters', async () => {
      cp.publish({
        ...base(),
        [CLUSTER_TYPE]: [edsCluster('svc'), edsCluster('other')],
        [ENDPOINT_TYPE]: [assignment('svc', up.a.port), assignment('other', up.b.port)],
        [LISTENER_TYPE]: [listener('web', 0, 'web_route'), listener('second', 0, 'second_route')],
        [ROUTE_TYPE]: [routeConfig('web_route', 'svc'), routeConfig('second_route', 'other')],
      });
      await waitFor(() => proxy.server.listeners.has('second'), 'listener "second"');
      const port = freePortListener(proxy, 'second');
      await waitFor(async () => (await get(`http://127.0.0.1:${port}/`)).status === 200, 'second listener serving');
      assert.equal((JSON.parse((await get(`http://127.0.0.1:${port}/`)).body) as { service: string }).service, 'b');
      cp.publish(base());
      await waitFor(() => !proxy.server.listeners.has('second') && !proxy.server.clusters.has('other'), 'removal');
      await assert.rejects(get(`http://127.0.0.1:${port}/`));
      const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=^(listener_manager.listener_removed|cluster_manager.cluster_removed)$`)).text();
      assert.match(stats, /listener_manager\.listener_removed: 1/);
      assert.match(stats, /cluster_manager\.cluster_removed: 1/);
    });
  });
}

describe('xDS warming', () => {
  let up: Upstream;
  let main: ControlPlane;
  let routes: ControlPlane;
  before(async () => {
    up = await startEcho({ port: 0, host: '127.0.0.1', service: 'warm' });
    main = await startControlPlane();
    routes = await startControlPlane();
  });
  after(async () => {
    await main.server.close();
    await routes.server.close();
    await up.close();
  });

  it('holds a listener until its routes arrive; the proxy is not ready meanwhile', async () => {
    // The listener's RDS comes from a second control plane that has nothing yet.
    const rdsSource = { api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'rds_server' } }] }, resource_api_version: 'V3' };
    const l = { name: 'warm', address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, filter_chains: [{ filters: [hcm('late_route', rdsSource)] }] };
    main.publish({
      [CLUSTER_TYPE]: [edsCluster('svc')],
      [ENDPOINT_TYPE]: [assignment('svc', up.port)],
      [LISTENER_TYPE]: [l],
      [ROUTE_TYPE]: [routeConfig('late_route', 'svc')],
    });
    const starting = startProxy(adsBootstrap(main.port, { extraClusters: [{ name: 'rds_server', port: routes.port }] }));
    let proxy: RunningProxy | undefined;
    void starting.then((p) => (proxy = p));
    try {
      // The admin API is up while the server initializes; find it through the server list.
      await waitFor(() => main.server.proxyStatus().length > 0 && routes.server.proxyStatus().length > 0, 'both streams connected');
      await waitFor(() => main.server.proxyStatus()[0]!.types.LDS?.state === 'SYNCED', 'LDS acked');
      assert.equal(proxy, undefined, 'start-up waits for the warming listener');
      routes.publish({ [ROUTE_TYPE]: [routeConfig('late_route', 'svc', 'late')] });
      proxy = await starting;
      assert.equal((await get(`${proxy.adminUrl}/ready`)).status, 200);
      const reply = await get(proxy.url('warm'));
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('x-route'), 'late');
    } finally {
      await (proxy ?? (await starting)).stop();
    }
  });
});

describe('xDS initial_fetch_timeout', () => {
  it('goes LIVE without a control plane answer once the initial fetch times out, and takes config later', async () => {
    const up = await startEcho({ port: 0, host: '127.0.0.1', service: 'late' });
    const cp = await startControlPlane(); // no snapshot yet: nothing to answer with
    const bootstrap = JSON.parse(adsBootstrap(cp.port)) as { dynamic_resources: Record<string, Obj> };
    for (const k of ['lds_config', 'cds_config']) bootstrap.dynamic_resources[k]!.initial_fetch_timeout = '0.2s';
    const proxy = await startProxy(JSON.stringify(bootstrap));
    try {
      assert.equal((await get(`${proxy.adminUrl}/ready`)).status, 200);
      const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=init_fetch_timeout`)).text();
      assert.match(stats, /listener_manager\.lds\.init_fetch_timeout: 1/);
      assert.match(stats, /cluster_manager\.cds\.init_fetch_timeout: 1/);
      cp.publish({
        [CLUSTER_TYPE]: [edsCluster('svc')],
        [ENDPOINT_TYPE]: [assignment('svc', up.port)],
        [LISTENER_TYPE]: [listener('late', 0, 'late_route')],
        [ROUTE_TYPE]: [routeConfig('late_route', 'svc')],
      });
      await waitFor(() => proxy.server.listeners.has('late'), 'the listener');
      await waitFor(async () => (await get(proxy.url('late'))).status === 200, 'traffic through it');
    } finally {
      await proxy.stop();
      await cp.server.close();
      await up.close();
    }
  });
});

describe('SDS over ADS', () => {
  let pki: Pki;
  let up: Upstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  const secret = (leaf: { chain: string; key: string }) => ({
    name: 'server_cert',
    tls_certificate: { certificate_chain: { inline_string: pki.read(leaf.chain) }, private_key: { inline_string: pki.read(leaf.key) } },
  });
  const tlsListener = () => ({
    ...listener('tls', 0, 'r'),
    filter_chains: [
      {
        filters: [hcm('r')],
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: { '@type': DOWNSTREAM_TLS, common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server_cert', sds_config: { ads: {}, resource_api_version: 'V3' } }] } },
        },
      },
    ],
  });
  const resources = (leaf: { chain: string; key: string }): ResourcesByType => ({
    [CLUSTER_TYPE]: [edsCluster('svc')],
    [ENDPOINT_TYPE]: [assignment('svc', up.port)],
    [LISTENER_TYPE]: [tlsListener()],
    [ROUTE_TYPE]: [routeConfig('r', 'svc')],
    [SECRET_TYPE]: [secret(leaf)],
  });

  before(async () => {
    pki = createPki();
    up = await startEcho({ port: 0, host: '127.0.0.1', service: 'tls' });
    cp = await startControlPlane();
    cp.publish(resources(pki.webapp));
    proxy = await startProxy(adsBootstrap(cp.port));
  });
  after(async () => {
    await proxy?.stop();
    await cp?.server.close();
    await up?.close();
    pki?.cleanup();
  });

  function peerSerial(): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: proxy.port('tls'), path: '/', servername: 'webapp.istioinaction.io', ca: pki.read(pki.root.cert), agent: false, rejectUnauthorized: false },
        (res) => {
          const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber.toLowerCase();
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(serial) : reject(new Error(`status ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('serves TLS with the certificate delivered over SDS, and rotates it in place', async () => {
    assert.equal(await peerSerial(), pki.webapp.serial.replace(/^0+/, '').toLowerCase());
    const rotated = pki.issue('webapp-rotated', { dns: ['webapp.istioinaction.io'] });
    cp.publish(resources(rotated));
    await waitFor(async () => (await peerSerial()) === rotated.serial.replace(/^0+/, '').toLowerCase(), 'the rotated certificate');
    const secrets = await configDump(proxy, 'dynamic_active_secrets');
    assert.equal(secrets[0]!.name, 'server_cert');
    const key = ((secrets[0]!.secret as Obj).tls_certificate as Obj).private_key as Obj;
    assert.equal(key.inline_string, '[redacted]');
  });

  it('rejects a secret whose key does not match its certificate and keeps the old one', async () => {
    const serial = await peerSerial();
    const mismatched = { chain: pki.webapp.chain, key: pki.catalog.key };
    cp.publish(resources(mismatched));
    await waitFor(async () => Boolean((await configDump(proxy, 'dynamic_active_secrets'))[0]!.error_state), 'error_state on the secret');
    assert.equal(await peerSerial(), serial);
  });
});
