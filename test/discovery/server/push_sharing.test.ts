// Pushes share work between proxies and between pushes, and what each proxy is
// served stays exactly what its own translation gives: replicas of a gateway share
// every resource, a gateway with other labels gets its own; sidecars share a service's
// cluster when their DestinationRule lookup agrees and not when it does not; an
// endpoint change rebuilds only ClusterLoadAssignments (every other type reused); a
// DestinationRule edit changes only the clusters it shapes. The publisher runs here
// without gRPC, as the discovery server drives it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigObject } from '../../../src/api/istio/types.js';
import { ADS_PUSH_ORDER, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SHORT_NAME } from '../../../src/api/xds/resource_types.js';
import { parseConfigText } from '../../../src/discovery/config/index.js';
import { appAddress, buildPushContext, parseProxy, podIp } from '../../../src/discovery/model/index.js';
import type { PushContext } from '../../../src/discovery/model/types.js';
import type { LocalPod } from '../../../src/discovery/registry/index.js';
import { ProxyTable, type ProxyEntry } from '../../../src/discovery/server/proxy_table.js';
import { SnapshotPublisher, toResourcesByType, WarningLog, type PublishOutcome } from '../../../src/discovery/server/snapshot_publisher.js';
import { buildXdsResources } from '../../../src/discovery/translate/index.js';
import { Snapshot } from '../../../src/discovery/xds/cache/snapshot.js';
import { SnapshotCache } from '../../../src/discovery/xds/cache/snapshot_cache.js';
import { capturingLogger } from './coolstore.js';

const CATALOG = 'catalog.shop.svc.cluster.local';
const REVIEWS = 'reviews.shop.svc.cluster.local';

function service(name: string, namespace: string, selector: Record<string, string>, targetPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  selector: ${JSON.stringify(selector)}
  ports: [{ name: http, port: 80, targetPort: ${targetPort} }]
`;
}

function gateway(name: string, selector: string, host: string, destination: string): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: { name: ${name}, namespace: istio-system }
spec:
  selector: { istio: ${selector} }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["${host}"] }]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: { name: ${name}, namespace: istio-system }
spec:
  hosts: ["${host}"]
  gateways: [${name}]
  http: [{ route: [{ destination: { host: ${destination} } }] }]
`;
}

/** Web's own rule for catalog (subset v1 = version v1), shop's (v1 = version v2, RANDOM): proxies in each namespace see theirs. */
function destinationRules(webPolicy = ''): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: { name: catalog-from-web, namespace: web }
spec:
  host: ${CATALOG}
  subsets: [{ name: v1, labels: { version: v1 } }]
${webPolicy}---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: { name: catalog, namespace: shop }
spec:
  host: catalog
  trafficPolicy: { loadBalancer: { simple: RANDOM } }
  subsets: [{ name: v1, labels: { version: v2 } }]
`;
}

function objects(options: { webPolicy?: string; dbAddress?: string } = {}): ConfigObject[] {
  const yaml = [
    'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n',
    'apiVersion: v1\nkind: Namespace\nmetadata: { name: web }\n',
    service('catalog', 'shop', { app: 'catalog' }, 3000),
    service('reviews', 'shop', { app: 'reviews' }, 9080),
    service('webapp', 'web', { app: 'webapp' }, 8080),
    service('public-gateway', 'istio-system', { istio: 'ingressgateway' }, 8080),
    service('internal-gateway', 'istio-system', { istio: 'internal' }, 8081),
    gateway('public', 'ingressgateway', 'public.example.com', CATALOG),
    gateway('internal', 'internal', 'internal.example.com', REVIEWS),
    destinationRules(options.webPolicy),
    // A DNS cluster carries its endpoints inline: a change to them is not EDS-only.
    `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: { name: db, namespace: shop }
spec:
  hosts: [db.internal.example]
  ports: [{ number: 5432, name: tcp, protocol: TCP }]
  resolution: DNS
  location: MESH_INTERNAL
  workloadSelector: { labels: { app: db } }
---
apiVersion: networking.istio.io/v1alpha3
kind: WorkloadEntry
metadata: { name: db-1, namespace: shop }
spec: { address: ${options.dbAddress ?? '10.0.0.5'}, labels: { app: db } }
`,
  ].join('---\n');
  const { objects: parsed, issues } = parseConfigText(yaml, 'sharing.yaml');
  assert.deepEqual(issues, []);
  return parsed;
}

const pod = (name: string, namespace: string, index: number, labels: Record<string, string>): LocalPod => ({ name, namespace, index, labels, serviceAccount: 'default', namedPorts: {}, healthy: true });
const PODS: LocalPod[] = [
  pod('public-1', 'istio-system', 201, { istio: 'ingressgateway' }),
  pod('public-2', 'istio-system', 202, { istio: 'ingressgateway' }),
  pod('internal-1', 'istio-system', 203, { istio: 'internal' }),
  pod('catalog-v1', 'shop', 204, { app: 'catalog', version: 'v1' }),
  pod('catalog-v2', 'shop', 205, { app: 'catalog', version: 'v2' }),
  pod('reviews-1', 'shop', 206, { app: 'reviews' }),
  pod('webapp-1', 'web', 207, { app: 'webapp' }),
  pod('webapp-2', 'web', 208, { app: 'webapp' }),
];
const EXTRA_CATALOG_V1 = pod('catalog-v1b', 'shop', 209, { app: 'catalog', version: 'v1' });

function node(p: LocalPod) {
  const type = p.namespace === 'istio-system' ? 'router' : 'sidecar';
  const metadata: Record<string, unknown> = { LABELS: p.labels, NAMESPACE: p.namespace };
  if (type === 'sidecar') metadata.SKEIN_APP_ADDRESS = appAddress(p.index);
  return { id: `${type}~${podIp(p.index)}~${p.name}.${p.namespace}~${p.namespace}.svc.cluster.local`, metadata };
}

/** Name → content version of one type: what a proxy is sent, compared by bytes. */
const served = (s: Snapshot, t: string) => [...s.resources(t)].map(([name, r]) => [name, r.version]);

describe('pushes share work and keep each proxy\'s config exact', () => {
  const { logger } = capturingLogger();
  const publisher = new SnapshotPublisher(new SnapshotCache(), undefined, logger, new WarningLog(logger));
  const table = new ProxyTable();
  for (const p of PODS) table.upsert(parseProxy(node(p)), p.name);
  const entry = (podName: string): ProxyEntry => [...table.values()].find((e) => e.proxy.podName === podName)!;
  let current: PushContext | undefined;
  let pushNumber = 0;

  function push(config: ConfigObject[], pods: LocalPod[]) {
    const next = buildPushContext({ objects: config, pods, previous: current });
    const scope = publisher.beginPush(next, current);
    current = next;
    pushNumber++;
    const before = new Map([...table.values()].map((e) => [e.proxy.podName, e.snapshot]));
    const outcomes: Record<string, PublishOutcome> = {};
    for (const e of table.values()) outcomes[e.proxy.podName] = publisher.publish(next, e, pushNumber);
    return { scope, outcomes, stats: publisher.roundStats(), before };
  }

  function assertServesOwnTranslation(): void {
    for (const e of table.values()) {
      const own = Snapshot.fromResources('x', toResourcesByType(buildXdsResources(current!, e.proxy)));
      for (const t of ADS_PUSH_ORDER) assert.deepEqual(served(e.snapshot!, t), served(own, t), `${e.proxy.podName} ${SHORT_NAME[t]}`);
    }
  }

  it('serves every proxy what its own translation gives, translating each gateway once', () => {
    const { scope, outcomes, stats } = push(objects(), PODS);
    assert.equal(scope, 'full');
    assert.ok(Object.values(outcomes).every((o) => o === 'changed'), JSON.stringify(outcomes));
    assertServesOwnTranslation();
    assert.deepEqual([stats.translated, stats.shared, stats.endpointUpdates], [PODS.length - 1, 1, 0], 'public-2 took public-1\'s config');
  });

  it('gives replicas of a gateway the same resources, and a gateway with other labels its own', () => {
    const [a, b, other] = [entry('public-1'), entry('public-2'), entry('internal-1')];
    for (const t of ADS_PUSH_ORDER) assert.equal(a.snapshot!.resources(t), b.snapshot!.resources(t), `${SHORT_NAME[t]} map shared`);
    assert.deepEqual([...a.snapshot!.resources(LISTENER_TYPE).keys()], ['0.0.0.0_8080']);
    assert.deepEqual([...other.snapshot!.resources(LISTENER_TYPE).keys()], ['0.0.0.0_8081']);
    assert.notDeepEqual(served(a.snapshot!, ROUTE_TYPE), served(other.snapshot!, ROUTE_TYPE));
  });

  it('shares a cluster between sidecars whose DestinationRule lookup agrees, and only then', () => {
    const [web1, web2, shop] = [entry('webapp-1').snapshot!, entry('webapp-2').snapshot!, entry('catalog-v1').snapshot!];
    const subset = `outbound|80|v1|${CATALOG}`;
    assert.equal(web1.resources(CLUSTER_TYPE).get(subset), web2.resources(CLUSTER_TYPE).get(subset));
    assert.equal(web1.resources(ENDPOINT_TYPE), web2.resources(ENDPOINT_TYPE), 'one namespace, one DestinationRule view: one EDS map');
    assert.equal(web1.resources(CLUSTER_TYPE).get(`outbound|80||${REVIEWS}`), shop.resources(CLUSTER_TYPE).get(`outbound|80||${REVIEWS}`), 'no rule for reviews anywhere');
    assert.notEqual(web1.resources(CLUSTER_TYPE).get(subset)!.version, shop.resources(CLUSTER_TYPE).get(subset)!.version);
    const addresses = (s: Snapshot) => JSON.stringify(s.resources(ENDPOINT_TYPE).get(subset)!.resource).match(/127\.1\.\d+\.\d+/g);
    assert.deepEqual(addresses(web1), [podIp(204)], 'web: v1 is version v1');
    assert.deepEqual(addresses(shop), [podIp(205)], 'shop: v1 is version v2');
  });

  it('rebuilds only ClusterLoadAssignments when only endpoints changed', () => {
    const { scope, outcomes, stats, before } = push(objects(), [...PODS, EXTRA_CATALOG_V1]);
    assert.equal(scope, 'endpoints');
    assertServesOwnTranslation();
    // catalog's pods are in the list that changed: their inbound side may move, so they are translated.
    assert.deepEqual([stats.translated, stats.endpointUpdates], [2, PODS.length - 2], JSON.stringify(stats));
    for (const e of table.values()) {
      const was = before.get(e.proxy.podName)!;
      assert.equal(outcomes[e.proxy.podName], 'changed');
      for (const t of ADS_PUSH_ORDER.filter((x) => x !== ENDPOINT_TYPE)) {
        assert.equal(e.snapshot!.version(t), was.version(t), `${e.proxy.podName} ${SHORT_NAME[t]} version`);
        assert.equal(e.snapshot!.resources(t), was.resources(t), `${e.proxy.podName} ${SHORT_NAME[t]} reused as is`);
      }
      assert.equal(e.snapshot!.version(ENDPOINT_TYPE), String(pushNumber));
    }
    const web = entry('webapp-1').snapshot!;
    const shop = entry('reviews-1').snapshot!;
    const subset = `outbound|80|v1|${CATALOG}`;
    assert.notEqual(web.resources(ENDPOINT_TYPE).get(subset), before.get('webapp-1')!.resources(ENDPOINT_TYPE).get(subset), 'web\'s v1 gained an endpoint');
    assert.equal(shop.resources(ENDPOINT_TYPE).get(subset), before.get('reviews-1')!.resources(ENDPOINT_TYPE).get(subset), 'shop\'s v1 (version v2) did not change: same packed resource');
    assert.equal(web.resources(ENDPOINT_TYPE), entry('webapp-2').snapshot!.resources(ENDPOINT_TYPE), 'still one EDS map for both');
  });

  it('changes only the clusters a DestinationRule shapes when it is edited', () => {
    const { scope, outcomes, before } = push(objects({ webPolicy: '  trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST }, connectionPool: { tcp: { maxConnections: 7 } } }\n' }), [...PODS, EXTRA_CATALOG_V1]);
    assert.equal(scope, 'full');
    assertServesOwnTranslation();
    for (const e of table.values()) {
      const web = e.proxy.namespace === 'web';
      assert.equal(outcomes[e.proxy.podName], web ? 'changed' : 'unchanged', e.proxy.podName);
    }
    const now = entry('webapp-1').snapshot!;
    const was = before.get('webapp-1')!;
    for (const t of [LISTENER_TYPE, ROUTE_TYPE, ENDPOINT_TYPE] as const) assert.equal(now.version(t), was.version(t), SHORT_NAME[t]);
    const changed = [...now.resources(CLUSTER_TYPE).values()].filter((r) => was.resources(CLUSTER_TYPE).get(r.name) !== r).map((r) => r.name);
    assert.deepEqual(changed.sort(), [`outbound|80||${CATALOG}`, `outbound|80|v1|${CATALOG}`].sort());
  });

  it('sends nothing when nothing changed', () => {
    const { scope, outcomes, stats } = push(objects({ webPolicy: '  trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST }, connectionPool: { tcp: { maxConnections: 7 } } }\n' }), [...PODS, EXTRA_CATALOG_V1]);
    assert.equal(scope, 'endpoints');
    assert.ok(Object.values(outcomes).every((o) => o === 'unchanged'), JSON.stringify(outcomes));
    assert.deepEqual([stats.translated, stats.packed], [0, 0]);
  });

  it('translates again when endpoints of a DNS cluster change (they are inline in the cluster)', () => {
    const { scope } = push(objects({ webPolicy: '  trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST }, connectionPool: { tcp: { maxConnections: 7 } } }\n', dbAddress: '10.0.0.6' }), [...PODS, EXTRA_CATALOG_V1]);
    assert.equal(scope, 'full');
    assertServesOwnTranslation();
    const db = entry('webapp-1').snapshot!.resources(CLUSTER_TYPE).get('outbound|5432||db.internal.example')!;
    assert.match(JSON.stringify(db.resource), /10\.0\.0\.6/);
  });

  it('shares the current push\'s work with a proxy that connects between pushes', () => {
    const late = table.upsert(parseProxy({ ...node(PODS[0]!), id: node(PODS[0]!).id.replace('public-1.', 'public-1-late.') }), 'late');
    const packed = publisher.roundStats().packed;
    assert.equal(publisher.publish(current!, late, pushNumber), 'changed');
    assert.equal(publisher.roundStats().packed, packed, 'nothing packed again');
    for (const t of ADS_PUSH_ORDER) assert.equal(late.snapshot!.resources(t), entry('public-1').snapshot!.resources(t));
  });
});
