// The pure parts of the istioctl-style CLI: table spacing (Go tabwriter's rules,
// checked against istioctl output copied from the seeds), istioctl's cell
// descriptions (domains, matches, subset keys, VirtualService names), proxy name
// resolution, /debug/syncz merging, --level parsing, and the unified diff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, LISTENER_PADDING } from '../../src/ctl/table.js';
import { describeManagement, describeRouteDomains, sortRouteConfigs } from '../../src/ctl/routes.js';
import { describeMatch } from '../../src/ctl/route_match.js';
import { describeDestinationRule, parseSubsetKey } from '../../src/ctl/clusters.js';
import { parseNodeId } from '../../src/ctl/node_id.js';
import { proxiesFromSyncz } from '../../src/ctl/syncz.js';
import { formatProxyStatus, nackNotes } from '../../src/ctl/status_table.js';
import { adminAddressOf, matchProxy } from '../../src/ctl/proxy_ref.js';
import { loggerNames, parseLevelFlag } from '../../src/ctl/logging.js';
import { unifiedDiff } from '../../src/ctl/unified_diff.js';
import { camelCaseMessage } from '../../src/ctl/output.js';
import { CtlError } from '../../src/ctl/errors.js';

const GW = 'router~10.10.0.9~istio-ingressgateway-996bc6bb6-mktpr.istio-system~istio-system.svc.cluster.local';
const WEBAPP = 'sidecar~10.10.0.16~webapp-7b8c9d6f4-abcde.istioinaction~istioinaction.svc.cluster.local';
const WEBAPP2 = 'sidecar~10.10.0.17~webapp-7b8c9d6f4-zzzzz.istioinaction~istioinaction.svc.cluster.local';

function synczEntry(nodeId: string, types: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { streamId: 1, nodeId, nodeCluster: 'c', nodeMetadata: { ISTIO_VERSION: '1.17.8' }, protocol: 'sotw', service: 'ads', types, ...extra };
}
const synced = { state: 'SYNCED', sentVersion: '1', ackedVersion: '1' };
const notSent = { state: 'NOT SENT' };

describe('tables are spaced like istioctl (Go tabwriter)', () => {
  it('proxy-status: padding 5 after the widest cell, as seed 003 prints it', () => {
    const text = formatTable([
      ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'],
      ['istio-ingressgateway-996bc6bb6-mktpr.istio-system', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', 'NOT SENT', 'istiod-7df6ffc78d-r7h54', '1.17.8'],
    ]);
    assert.equal(
      text,
      'NAME                                                  CLUSTER        CDS        LDS        EDS        RDS          ECDS         ISTIOD                      VERSION\n' +
        'istio-ingressgateway-996bc6bb6-mktpr.istio-system     Kubernetes     SYNCED     SYNCED     SYNCED     NOT SENT     NOT SENT     istiod-7df6ffc78d-r7h54     1.17.8\n',
    );
  });

  it('listener: padding 1, as seed 003 prints the gateway listeners', () => {
    const text = formatTable(
      [
        ['ADDRESS', 'PORT', 'MATCH', 'DESTINATION'],
        ['0.0.0.0', '15021', 'ALL', 'Inline Route: /healthz/ready*'],
        ['0.0.0.0', '15090', 'ALL', 'Inline Route: /stats/prometheus*'],
      ],
      LISTENER_PADDING,
    );
    assert.equal(text, 'ADDRESS PORT  MATCH DESTINATION\n0.0.0.0 15021 ALL   Inline Route: /healthz/ready*\n0.0.0.0 15090 ALL   Inline Route: /stats/prometheus*\n');
  });

  it('an empty last cell keeps the padding of the cell before it (istioctl route rows without a VirtualService)', () => {
    const text = formatTable([
      ['NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'],
      ['', '*', '/stats/prometheus*', ''],
    ]);
    assert.equal(text, 'NAME     DOMAINS     MATCH                  VIRTUAL SERVICE\n         *           /stats/prometheus*     \n');
  });
});

describe("istioctl's cell descriptions", () => {
  it('DOMAINS: no ports, no .svc/.svc.cluster.local expansions, two names then "+ N more..."', () => {
    const sidecar = ['catalog.istioinaction.svc.cluster.local', 'catalog.istioinaction.svc.cluster.local:80', 'catalog', 'catalog:80', 'catalog.istioinaction.svc', 'catalog.istioinaction.svc:80', 'catalog.istioinaction', 'catalog.istioinaction:80', '10.96.0.5', '10.96.0.5:80'];
    assert.equal(describeRouteDomains(sidecar), 'catalog, catalog.istioinaction + 1 more...');
    assert.equal(describeRouteDomains(['webapp.istioinaction.io']), 'webapp.istioinaction.io');
    assert.equal(describeRouteDomains(['*']), '*');
    assert.equal(describeRouteDomains(['a.example.com', 'b.example.com']), 'a.example.com, b.example.com');
    assert.equal(describeRouteDomains([]), '');
  });

  it('MATCH: prefix gets "*", exact paths as they are, regexes as "regex RE"', () => {
    assert.equal(describeMatch({ prefix: '/' }), '/*');
    assert.equal(describeMatch({ prefix: '/api/catalog' }), '/api/catalog*');
    assert.equal(describeMatch({ path: '/healthz' }), '/healthz');
    assert.equal(describeMatch({ safe_regex: { regex: '/items/[0-9]+' } }), 'regex /items/[0-9]+');
    assert.equal(describeMatch({ safeRegex: { regex: '^/x' } }), 'regex ^/x', 'camelCase input (a saved istioctl -o json) reads the same');
    assert.equal(describeMatch({ path_separated_prefix: '/api' }), 'PathPrefix:/api');
  });

  it('VIRTUAL SERVICE and DESTINATION RULE from the istio.config metadata', () => {
    const vs = { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1alpha3/namespaces/istioinaction/virtual-service/webapp-vs-from-gw' } } };
    assert.equal(describeManagement(vs), 'webapp-vs-from-gw.istioinaction');
    assert.equal(describeManagement({ filterMetadata: { istio: { config: '/apis/gateway.networking.k8s.io/v1/namespaces/x/httproute/y' } } }), '<unknown>');
    assert.equal(describeManagement(undefined), '');
    const dr = { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1alpha3/namespaces/istioinaction/destination-rule/catalog' } } };
    assert.equal(describeDestinationRule(dr), 'catalog.istioinaction');
  });

  it('cluster names: Istio subset keys split into columns, other names stay whole', () => {
    assert.deepEqual(parseSubsetKey('outbound|80|v1|catalog.istioinaction.svc.cluster.local'), { direction: 'outbound', port: 80, subset: 'v1', fqdn: 'catalog.istioinaction.svc.cluster.local' });
    assert.deepEqual(parseSubsetKey('inbound|8080||'), { direction: 'inbound', port: 8080, subset: '', fqdn: '' });
    assert.equal(parseSubsetKey('outbound_.80_._.catalog.istioinaction.svc.cluster.local'), undefined);
    assert.equal(parseSubsetKey('xds-grpc'), undefined);
  });

  it('route tables: numeric names in numeric order, the others where they were', () => {
    const names = sortRouteConfigs([{ name: '9080' }, { name: 'http.8080' }, { name: '80' }, { name: '15010' }]).map((r) => r.name);
    assert.deepEqual(names, ['80', 'http.8080', '9080', '15010']);
  });

  it('-o json uses lowerCamelCase field names but keeps metadata keys as they are', () => {
    const out = camelCaseMessage('envoy.config.route.v3.RouteConfiguration', {
      name: 'http.8080',
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { num_retries: 2 } }, metadata: { filter_metadata: { 'envoy.lb': { canary_key: 1 } } } }] }],
      ignore_port_in_host_matching: true,
    });
    assert.deepEqual(out, {
      name: 'http.8080',
      virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retryPolicy: { numRetries: 2 } }, metadata: { filterMetadata: { 'envoy.lb': { canary_key: 1 } } } }] }],
      ignorePortInHostMatching: true,
    });
  });
});

describe('proxies from /debug/syncz', () => {
  it('Istio node ids are named POD.NS; other ids stay as they are', () => {
    assert.deepEqual(parseNodeId(GW), { nodeId: GW, name: 'istio-ingressgateway-996bc6bb6-mktpr.istio-system', istio: true, type: 'router', ip: '10.10.0.9', pod: 'istio-ingressgateway-996bc6bb6-mktpr', namespace: 'istio-system' });
    assert.deepEqual(parseNodeId('local-proxy'), { nodeId: 'local-proxy', name: 'local-proxy', istio: false });
  });

  it('one row per proxy sorted by name; ECDS NOT SENT unless subscribed; streams of one node merged, the newest winning', () => {
    const body = [
      synczEntry(WEBAPP, { CDS: synced, EDS: synced, LDS: synced, RDS: synced }),
      synczEntry(GW, { CDS: { state: 'STALE', sentVersion: '2' }, EDS: synced }, { streamId: 7 }),
      synczEntry(GW, { CDS: synced, EDS: synced, LDS: synced, RDS: notSent }, { streamId: 3 }),
      synczEntry(GW, { LDS: synced }, { streamId: 9, service: 'lds' }),
      synczEntry('local-proxy', { CDS: synced }, { nodeCluster: 'local-cluster', nodeMetadata: {} }),
    ];
    const proxies = proxiesFromSyncz(body, '127.0.0.1:15014');
    assert.deepEqual(proxies.map((p) => p.name), ['istio-ingressgateway-996bc6bb6-mktpr.istio-system', 'local-proxy', 'webapp-7b8c9d6f4-abcde.istioinaction']);
    const rows = formatProxyStatus(proxies).split('\n').map((l) => l.trimEnd().split(/\s{2,}/));
    assert.deepEqual(rows[0], ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']);
    assert.deepEqual(rows[1], ['istio-ingressgateway-996bc6bb6-mktpr.istio-system', 'Kubernetes', 'STALE', 'SYNCED', 'SYNCED', 'NOT SENT', 'NOT SENT', '127.0.0.1:15014', '1.17.8']);
    assert.deepEqual(rows[2], ['local-proxy', 'local-cluster', 'SYNCED', 'NOT SENT', 'NOT SENT', 'NOT SENT', 'NOT SENT', '127.0.0.1:15014']);
    assert.deepEqual(rows[3], ['webapp-7b8c9d6f4-abcde.istioinaction', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', '127.0.0.1:15014', '1.17.8']);
  });

  it("the discovery server's own fields win: name, cluster id, version and its identity (ISTIOD)", () => {
    const body = [synczEntry(GW, { CDS: synced }, { proxy: 'gw.istio-system', clusterId: 'west-cluster', istioVersion: '1.17.8-skein', discovery: 'istiod-5585445f4c' })];
    const [p] = proxiesFromSyncz(body, '127.0.0.1:15014');
    assert.deepEqual([p!.name, p!.clusterId, p!.istioVersion, p!.discovery], ['gw.istio-system', 'west-cluster', '1.17.8-skein', 'istiod-5585445f4c']);
  });

  it('a NACK behind a STALE state becomes a note', () => {
    const stale = { state: 'STALE', sentVersion: '4', ackedVersion: '3', lastNack: { message: 'router must be last', version: '4', nonce: '9' } };
    const proxies = proxiesFromSyncz([synczEntry(GW, { LDS: stale })], 'x');
    assert.deepEqual(nackNotes(proxies), ['istio-ingressgateway-996bc6bb6-mktpr.istio-system: LDS version 4 NACKed: router must be last']);
  });
});

describe('which proxy <proxy> means', () => {
  const proxies = proxiesFromSyncz(
    [synczEntry(GW, {}), synczEntry(WEBAPP2, {}), synczEntry(WEBAPP, {}), synczEntry('local-proxy', {})],
    '127.0.0.1:15014',
  );
  const pick = (ref: string, ns?: string) => matchProxy(ref, ns, proxies, '127.0.0.1:15014').nodeId;

  it("deploy/NAME.NS and deploy/NAME -n NS pick the deployment's first pod", () => {
    assert.equal(pick('deploy/istio-ingressgateway.istio-system'), GW);
    assert.equal(pick('deploy/webapp', 'istioinaction'), WEBAPP);
    assert.equal(pick('deployment/webapp.istioinaction'), WEBAPP);
    assert.equal(pick('deploy/webapp'), WEBAPP, 'one namespace has it');
  });

  it('POD.NS, POD -n NS, pod/POD.NS and full node ids', () => {
    assert.equal(pick('webapp-7b8c9d6f4-zzzzz.istioinaction'), WEBAPP2);
    assert.equal(pick('webapp-7b8c9d6f4-zzzzz', 'istioinaction'), WEBAPP2);
    assert.equal(pick('webapp-7b8c9d6f4-zzzzz.istioinaction', 'istioinaction'), WEBAPP2);
    assert.equal(pick('pod/istio-ingressgateway-996bc6bb6-mktpr.istio-system'), GW);
    assert.equal(pick(WEBAPP), WEBAPP);
    assert.equal(pick('local-proxy'), 'local-proxy');
  });

  it('an unknown proxy is an error that lists the known ones', () => {
    assert.throws(
      () => pick('deploy/catalog.istioinaction'),
      (err: Error) =>
        err instanceof CtlError &&
        /deployment "catalog.istioinaction" not found/.test(err.message) &&
        err.message.includes('127.0.0.1:15014') &&
        err.message.includes('istio-ingressgateway-996bc6bb6-mktpr.istio-system, local-proxy, webapp-7b8c9d6f4-abcde.istioinaction, webapp-7b8c9d6f4-zzzzz.istioinaction'),
    );
  });

  it("the admin API is at the pod IP's port 15000; a proxy without one needs --admin-address", () => {
    assert.equal(adminAddressOf(proxies.find((p) => p.nodeId === GW)!), '10.10.0.9:15000');
    assert.throws(() => adminAddressOf(proxies.find((p) => p.nodeId === 'local-proxy')!), /--admin-address/);
  });
});

describe('proxy-config log --level', () => {
  it('reads LEVEL for every logger and LOGGER:LEVEL / LOGGER=LEVEL per logger', () => {
    assert.deepEqual(parseLevelFlag('debug', false), { all: 'debug', loggers: [] });
    assert.deepEqual(parseLevelFlag('http:debug,upstream=info', false), { loggers: [['http', 'debug'], ['upstream', 'info']] });
    assert.deepEqual(parseLevelFlag(undefined, true), { all: 'warning', loggers: [] });
    assert.throws(() => parseLevelFlag('http:loud', false), /unrecognized logging level: loud/);
    assert.throws(() => parseLevelFlag('debug', true), /cannot be combined/);
  });

  it('logger names come from the proxy\'s "active loggers:" listing', () => {
    assert.deepEqual(loggerNames('active loggers:\n  admin: info\n  http: debug\n'), ['admin', 'http']);
  });
});

describe('unified diff', () => {
  it('is empty for equal texts and shows changed lines with context otherwise', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'A', 'B'), '');
    const a = ['1', '2', '3', '4', '5', '6', '7', '8'].join('\n');
    const b = ['1', '2', 'three', '4', '5', '6', '7', '8', '9'].join('\n');
    // Expected texts from Python's difflib.unified_diff(n=1), which Go's difflib ports.
    assert.equal(unifiedDiff(a, b, 'Pilot Routes', 'Envoy Routes', 1), '--- Pilot Routes\n+++ Envoy Routes\n@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n@@ -8 +8,2 @@\n 8\n+9\n');
    const c = ['1', '2', '3', '4', '5'].join('\n');
    const d = ['1', '2', 'three', '4', '5', '6'].join('\n');
    assert.equal(unifiedDiff(c, d, 'A', 'B', 1), '--- A\n+++ B\n@@ -2,4 +2,5 @@\n 2\n-3\n+three\n 4\n 5\n+6\n');
  });
});
