// The proxy-config formatters on config dumps captured from a real skein proxy (started
// here from a sidecar-shaped bootstrap, see sidecar_fixture.ts): what istioctl prints
// for a sidecar's listeners (filter chain matches, inline routes, TCP proxies, the
// default chain), routes (domains "+ N more...", regex and exact matches, the
// blackhole "404", no PassthroughCluster rows), clusters (inbound, subsets,
// DestinationRules, STRICT_DNS) and endpoints (EDS health), plus -o json/yaml.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { ConfigDump } from '../../src/ctl/config_dump.js';
import { formatListeners, listenersJson } from '../../src/ctl/listeners.js';
import { formatRoutes, routesJson } from '../../src/ctl/routes.js';
import { clustersJson, formatClusters } from '../../src/ctl/clusters.js';
import { clusterStatuses, formatEndpoints } from '../../src/ctl/endpoints.js';
import { formatSecrets, secretItems } from '../../src/ctl/secrets.js';
import { renderStructured } from '../../src/ctl/output.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { sidecarBootstrap } from './sidecar_fixture.js';

let proxy: RunningProxy | undefined;
let pki: Pki | undefined;
let dump: ConfigDump;
let statuses: ReturnType<typeof clusterStatuses>;

describe('proxy-config tables from a real proxy config dump', () => {
  before(async () => {
    pki = createPki();
    const secret = `  - name: default\n    tls_certificate:\n      certificate_chain: { inline_string: ${JSON.stringify(pki.read(pki.webapp.chain))} }\n      private_key: { inline_string: ${JSON.stringify(pki.read(pki.webapp.key))} }`;
    proxy = await startProxy(sidecarBootstrap(secret));
    dump = ConfigDump.parse(await (await fetch(`${proxy.adminUrl}/config_dump`)).text(), 'config_dump');
    statuses = clusterStatuses(await (await fetch(`${proxy.adminUrl}/clusters?format=json`)).json());
  });
  after(async () => {
    await proxy?.stop();
    pki?.cleanup();
  });

  it('listener: one row per filter chain, destinations in descending order, sorted by port', () => {
    const inline =
      'Inline Route: catalog.istioinaction.svc.cluster.local/catalog.istioinaction.svc.cluster.local:80/catalog/catalog:80/catalog.istioinaction.svc/' +
      'catalog.istioinaction.svc:80/catalog.istioinaction/catalog.istioinaction:80/10.96.0.5/10.96.0.5:80 /api/catalog*, regex /items/[0-9]+, /healthz; blocked.example.com ; /*';
    assert.equal(
      formatListeners(dump.listeners(), {}),
      'ADDRESS PORT  MATCH                                                  DESTINATION\n' +
        `0.0.0.0 80    ALL                                                    ${inline}\n` +
        '0.0.0.0 15006 Addr: 0.0.0.0/0                                        PassthroughCluster\n' +
        '0.0.0.0 15006 ALL                                                    Non-HTTP/Non-TCP\n' +
        '0.0.0.0 15006 Trans: raw_buffer; App: HTTP; Addr: *:8080             Cluster: inbound|8080||\n' +
        '0.0.0.0 15006 SNI: webapp.istioinaction.io; Trans: tls; Addr: *:8080 Cluster: inbound|8080||\n' +
        '0.0.0.0 31400 ALL                                                    Cluster: outbound|31400||tcp-echo.istioinaction.svc.cluster.local\n',
    );
    assert.equal(formatListeners(dump.listeners(), { type: 'tcp', verbose: false }), 'ADDRESS PORT  TYPE\n0.0.0.0 31400 TCP\n');
    assert.equal(formatListeners(dump.listeners(), { type: 'HTTP+TCP', verbose: false }), 'ADDRESS PORT  TYPE\n0.0.0.0 15006 HTTP+TCP\n');
  });

  it('listener -o json: the Listener messages with lowerCamelCase names', () => {
    const [l] = listenersJson(dump.listeners(), { port: 31400 }) as any[];
    assert.equal(l.name, '0.0.0.0_31400');
    assert.deepEqual(l.address, { socketAddress: { address: '0.0.0.0', portValue: 31400 } });
    assert.equal(l.bindToPort, false);
    assert.equal(l.filterChains[0].filters[0].typedConfig['@type'], 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
    assert.equal(l.filterChains[0].filters[0].typedConfig.statPrefix, 'tcp');
    assert.equal(l['@type'], undefined);
  });

  it('route: the domains shortened, regex and exact matches, a blackhole virtual host as 404, no PassthroughCluster row', () => {
    assert.equal(
      formatRoutes(dump.routeConfigs(), {}),
      'NAME               DOMAINS                                        MATCH                   VIRTUAL SERVICE\n' +
        '80                 catalog, catalog.istioinaction + 1 more...     /api/catalog*           catalog.istioinaction\n' +
        '80                 catalog, catalog.istioinaction + 1 more...     regex /items/[0-9]+     catalog.istioinaction\n' +
        '80                 catalog, catalog.istioinaction + 1 more...     /healthz                \n' +
        '80                 blocked.example.com                            /*                      404\n' +
        'inbound|8080||     *                                              /*                      \n',
    );
    assert.equal(formatRoutes(dump.routeConfigs(), { verbose: false }), 'NAME               VIRTUAL HOSTS\n80                 3\ninbound|8080||     1\n');
    const yaml = renderStructured('yaml', routesJson(dump.routeConfigs(), { name: '80' }));
    const parsed = YAML.parse(yaml);
    assert.equal(parsed[0].virtualHosts[0].routes[1].match.safeRegex.regex, '/items/[0-9]+');
    assert.equal(parsed[0].virtualHosts[0].routes[2].directResponse.status, 200);
  });

  it('cluster: inbound|8080|| has no FQDN, other names are whole, sorted by FQDN/subset/port/direction', () => {
    assert.equal(
      formatClusters(dump.clusters(), {}),
      'SERVICE FQDN                                 PORT      SUBSET     DIRECTION     TYPE           DESTINATION RULE\n' +
        '                                             8080      -          inbound       STATIC         \n' +
        'BlackHoleCluster                             -         -          -             STATIC         \n' +
        'PassthroughCluster                           -         -          -             STATIC         \n' +
        'catalog.istioinaction.svc.cluster.local      80        -          outbound      STATIC         \n' +
        'catalog.istioinaction.svc.cluster.local      80        v1         outbound      STATIC         catalog.istioinaction\n' +
        'tcp-echo.istioinaction.svc.cluster.local     31400     -          outbound      STATIC         \n' +
        'zipkin                                       -         -          -             STRICT_DNS     \n',
    );
    assert.equal(formatClusters(dump.clusters(), { direction: 'inbound' }).split('\n').length, 3);
    const json = clustersJson(dump.clusters(), { fqdn: 'zipkin' }) as any[];
    assert.deepEqual(json.map((c) => [c.name, c.type, c.connectTimeout]), [['zipkin', 'STRICT_DNS', '1s']]);
  });

  it('endpoint: EDS health as STATUS, sorted by address, port, cluster; --status filters', () => {
    assert.equal(
      formatEndpoints(statuses, {}),
      'ENDPOINT            STATUS        OUTLIER CHECK     CLUSTER\n' +
        '10.10.0.15:3000     HEALTHY       OK                outbound|80|v1|catalog.istioinaction.svc.cluster.local\n' +
        '10.10.0.15:3000     HEALTHY       OK                outbound|80||catalog.istioinaction.svc.cluster.local\n' +
        '10.10.0.19:3000     UNHEALTHY     OK                outbound|80||catalog.istioinaction.svc.cluster.local\n' +
        '127.0.0.1:9411      HEALTHY       OK                zipkin\n' +
        '127.2.0.3:8080      HEALTHY       OK                inbound|8080||\n',
    );
    assert.equal(
      formatEndpoints(statuses, { status: 'unhealthy' }),
      'ENDPOINT            STATUS        OUTLIER CHECK     CLUSTER\n10.10.0.19:3000     UNHEALTHY     OK                outbound|80||catalog.istioinaction.svc.cluster.local\n',
    );
    assert.equal(formatEndpoints(statuses, { address: '10.10.0.15', port: 3000, cluster: 'OUTBOUND|80||catalog.istioinaction.svc.cluster.local' }).split('\n').length, 3);
  });

  it('secret: a static secret from the bootstrap is listed as STATIC with its certificate', () => {
    const items = secretItems(dump.requireSection('SecretsConfigDump'));
    assert.equal(items.length, 1);
    assert.deepEqual([items[0]!.name, items[0]!.type, items[0]!.status, items[0]!.valid], ['default', 'Cert Chain', 'STATIC', true]);
    assert.equal(items[0]!.serialNumber, BigInt(`0x${pki!.webapp.serial}`).toString(10));
    assert.match(formatSecrets(dump.requireSection('SecretsConfigDump')), /^RESOURCE NAME {5}TYPE {11}STATUS {5}VALID CERT {5}SERIAL NUMBER/);
  });
});

describe('endpoint rows for hosts skein does not produce yet', () => {
  // Envoy's /clusters?format=json for a host ejected by outlier detection and a
  // Unix-socket host (both in seed 001's istioctl output); skein has neither yet.
  const envoyClusters = {
    cluster_statuses: [
      {
        name: 'outbound|80||simple-backend.istioinaction.svc.cluster.local',
        host_statuses: [
          { address: { socket_address: { address: '10.10.0.20', port_value: 8080 } }, health_status: { eds_health_status: 'HEALTHY', failed_outlier_check: true } },
          { address: { socket_address: { address: '172.18.255.202', port_value: 15443 } }, health_status: { eds_health_status: 'HEALTHY' } },
        ],
      },
      { name: 'xds-grpc', host_statuses: [{ address: { pipe: { path: './etc/istio/proxy/XDS' } }, health_status: { eds_health_status: 'HEALTHY' } }] },
    ],
  };

  it('OUTLIER CHECK is FAILED for an ejected host; pipes print as unix://PATH', () => {
    assert.equal(
      formatEndpoints(clusterStatuses(envoyClusters), {}),
      'ENDPOINT                         STATUS      OUTLIER CHECK     CLUSTER\n' +
        '10.10.0.20:8080                  HEALTHY     FAILED            outbound|80||simple-backend.istioinaction.svc.cluster.local\n' +
        '172.18.255.202:15443             HEALTHY     OK                outbound|80||simple-backend.istioinaction.svc.cluster.local\n' +
        'unix://./etc/istio/proxy/XDS     HEALTHY     OK                xds-grpc\n',
    );
  });
});
