// Requests through generated sidecar and gateway routes for the VirtualService,
// DestinationRule, ServiceEntry, Sidecar and locality cases: which rule a request
// matches, which cluster it goes to, which endpoints (and priorities) that cluster has.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceViewAddress } from '../../../src/discovery/model/local_addresses.js';
import { loadCase, type LoadedCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

const V1 = 'outbound|80|v1|catalog.istioinaction.svc.cluster.local';
const V2 = 'outbound|80|v2|catalog.istioinaction.svc.cluster.local';

/** Where pod `podIndex` reaches `hostname` (its S_SERVICE_HOST in the local mesh). */
const viewOf = (c: LoadedCase, podIndex: number, hostname: string) => serviceViewAddress(podIndex, c.push.serviceByHostname(hostname)!.localIndex);

describe('simulation: weighted subsets and traffic policy', () => {
  const c = loadCase('subsets-traffic-policy');
  const webapp = new Simulation(translate(c, 'webapp'));
  const gw = new Simulation(translate(c, 'istio-ingressgateway'));
  const address = viewOf(c, 2, 'catalog.istioinaction.svc.cluster.local');

  it('the mesh splits catalog 90/10 between the subsets, each with its own endpoints', () => {
    const out = webapp.http({ port: 80, address, host: 'catalog', path: '/items' });
    assert.deepEqual(out.weighted, [
      { name: 'outbound|80|version-v1|catalog.istioinaction.svc.cluster.local', weight: 90 },
      { name: 'outbound|80|version-v2|catalog.istioinaction.svc.cluster.local', weight: 10 },
    ]);
    assert.equal(out.pick!(0.5), 'outbound|80|version-v1|catalog.istioinaction.svc.cluster.local');
    assert.equal(out.pick!(0.95), 'outbound|80|version-v2|catalog.istioinaction.svc.cluster.local');
    assert.deepEqual(webapp.endpoints('outbound|80|version-v1|catalog.istioinaction.svc.cluster.local'), ['127.1.0.3:3000']);
    assert.deepEqual(webapp.endpoints('outbound|80|version-v2|catalog.istioinaction.svc.cluster.local'), ['127.1.0.4:3000']);
    assert.deepEqual(webapp.endpoints('outbound|80||catalog.istioinaction.svc.cluster.local'), ['127.1.0.3:3000', '127.1.0.4:3000']);
  });

  it('the gateway sends the internal cohort to v2 (hashing on x-user) and everyone else to v1', () => {
    const internal = gw.http({ port: 8080, host: 'catalog.istioinaction.io', path: '/items', headers: { 'x-istio-cohort': 'internal' } });
    assert.equal(internal.cluster, 'outbound|80|version-v2|catalog.istioinaction.svc.cluster.local');
    assert.deepEqual(internal.route!.route.hash_policy, [{ header: { header_name: 'x-user' } }]);
    assert.equal(gw.http({ port: 8080, host: 'catalog.istioinaction.io', path: '/items' }).cluster, 'outbound|80|version-v1|catalog.istioinaction.svc.cluster.local');
  });

  it('policies land on the clusters: top level, port level, subset level', () => {
    const base = webapp.cluster('outbound|80||catalog.istioinaction.svc.cluster.local')!;
    assert.equal(base.lb_policy, 'LEAST_REQUEST');
    assert.equal(base.circuit_breakers.thresholds[0].max_connections.value, 100);
    assert.equal(base.outlier_detection.consecutive_5xx.value, 1);
    assert.equal(webapp.cluster('outbound|9000||catalog.istioinaction.svc.cluster.local')!.lb_policy, 'RANDOM');
    const v2 = webapp.cluster('outbound|80|version-v2|catalog.istioinaction.svc.cluster.local')!;
    assert.equal(v2.lb_policy, 'RING_HASH');
    assert.equal(v2.circuit_breakers.thresholds[0].max_requests.value, 5);
  });
});

describe('simulation: every kind of http rule', () => {
  const c = loadCase('http-rules');
  const webapp = new Simulation(translate(c, 'webapp'));
  const gw = new Simulation(translate(c, 'istio-ingressgateway'));
  const address = viewOf(c, 2, 'catalog.istioinaction.svc.cluster.local');
  const mesh = (path: string, extra: Partial<Parameters<Simulation['http']>[0]> = {}) => webapp.http({ port: 80, address, host: 'catalog', path, ...extra });

  it('a header match wins over everything after it', () => {
    const out = mesh('/items/1', { headers: { 'x-istio-cohort': 'internal' } });
    assert.equal(out.cluster, V2);
    assert.equal(out.route!.route.timeout.seconds, 5);
    assert.equal(out.route!.route.retry_policy.num_retries.value, 3);
  });

  it('uri prefix ignoring case, method, query parameter and a missing header must all hold', () => {
    assert.equal(mesh('/api/v2/items?debug=true').cluster, V2);
    assert.equal(mesh('/Api/V2/items?debug=true').route!.route.prefix_rewrite, '/v2');
    assert.notEqual(mesh('/api/v2/items?debug=true', { method: 'POST' }).cluster, V2);
    assert.notEqual(mesh('/api/v2/items').cluster, V2);
    assert.notEqual(mesh('/api/v2/items?debug=true', { headers: { 'x-legacy': '1' } }).cluster, V2);
  });

  it('exact uri redirects; regex with an authority prefix routes to v1 and mirrors a quarter to v2', () => {
    const redirect = mesh('/old');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.location, 'http://catalog.istioinaction/new');
    const items = mesh('/items/42');
    assert.equal(items.cluster, V1);
    assert.equal(items.route!.route.request_mirror_policies[0].cluster, V2);
    assert.equal(items.route!.route.request_mirror_policies[0].runtime_fraction.default_value.numerator, 250000);
    assert.equal(mesh('/items/abc').cluster, V1, 'falls through to the catch-all');
  });

  it('sourceLabels: /health answers directly for webapp, /admin (for another source) is not there', () => {
    assert.equal(mesh('/health').status, 200);
    assert.equal(mesh('/admin').cluster, V1);
  });

  it('a match bound to the gateway applies at the gateway only', () => {
    assert.equal(gw.http({ port: 8080, host: 'catalog.istioinaction.io', path: '/edge-only' }).status, 418);
    assert.equal(mesh('/edge-only').cluster, V1);
    assert.equal(gw.http({ port: 8080, host: 'catalog.istioinaction.io', path: '/health' }).cluster, V1, 'sourceLabels are the gateway\'s own');
  });

  it('delegation: the delegate refines the root /reviews match', () => {
    assert.equal(mesh('/reviews/top').cluster, V2);
    assert.equal(mesh('/reviews/1').cluster, V1);
    assert.equal(mesh('/other').cluster, V1, "the delegate's /other is outside the root's /reviews");
  });

  it('retries attempts 0 switches retries off; the default policy is Istio\'s', () => {
    assert.equal(mesh('/').route!.route.retry_policy, undefined);
    const cohort = mesh('/x', { headers: { 'x-istio-cohort': 'internal' } }).route!.route.retry_policy;
    assert.deepEqual(cohort.retriable_status_codes, [503]);
    assert.equal(cohort.retry_on, '5xx,gateway-error,retriable-status-codes');
  });
});

describe('simulation: locality-aware endpoints', () => {
  const web = new Simulation(translate(loadCase('locality'), 'simple-web'));
  it('with outlier detection, the other zone is the failover priority', () => {
    assert.deepEqual(web.endpoints('outbound|80||simple-backend.istioinaction.svc.cluster.local'), ['127.1.0.3:8080', '127.1.0.4:8080 (priority 1)', '127.1.0.5:8080 (priority 1)']);
  });
  it('distribute weights localities; enabled: false leaves one priority', () => {
    const weighted = web.resources.endpoints.find((e: any) => e.cluster_name === 'outbound|80||simple-backend-weighted.istioinaction.svc.cluster.local') as any;
    assert.deepEqual(weighted.endpoints.map((l: any) => l.load_balancing_weight.value), [70, 30]);
    assert.deepEqual(web.endpoints('outbound|80||simple-backend-flat.istioinaction.svc.cluster.local'), ['127.1.0.3:8080', '127.1.0.4:8080', '127.1.0.5:8080']);
  });
});

describe('simulation: ServiceEntry hosts', () => {
  const c = loadCase('service-entries');
  const forum = new Simulation(translate(c, 'forum'));
  it('an external DNS host is routed by name to a STRICT_DNS cluster resolving that name', () => {
    const address = viewOf(c, 2, 'jsonplaceholder.typicode.com');
    const out = forum.http({ port: 80, address, host: 'jsonplaceholder.typicode.com', path: '/users' });
    assert.equal(out.cluster, 'outbound|80||jsonplaceholder.typicode.com');
    assert.equal(forum.cluster(out.cluster!)!.type, 'STRICT_DNS');
    assert.deepEqual(forum.endpoints(out.cluster!), ['jsonplaceholder.typicode.com:80']);
  });
  it('TLS origination: plain HTTP in, TLS with SNI out, to the entry\'s endpoints on their target port', () => {
    const address = viewOf(c, 2, 'payments.example.com');
    const out = forum.http({ port: 8080, address, host: 'payments.example.com:8080', path: '/pay' });
    assert.equal(out.cluster, 'outbound|8080||payments.example.com');
    assert.equal(forum.cluster(out.cluster!)!.transport_socket.typed_config.sni, 'payments.example.com');
    assert.deepEqual(forum.endpoints(out.cluster!), ['pay-1.example.com:443', 'pay-2.example.com:443']);
  });
  it('STATIC entries use EDS, and subsets select endpoints by the entry\'s labels', () => {
    const address = viewOf(c, 2, 'legacy-db.internal');
    assert.equal(forum.tcp(5432, undefined, address), 'outbound|5432||legacy-db.internal');
    assert.deepEqual(forum.endpoints('outbound|5432|primary|legacy-db.internal'), ['10.20.0.1:5432']);
  });
});

describe('simulation: Sidecar egress scope', () => {
  const c = loadCase('sidecar-scope');
  const catalog = new Simulation(translate(c, 'catalog'));
  const webapp = new Simulation(translate(c, 'webapp'));
  it("catalog's own Sidecar lets it reach webapp only", () => {
    assert.equal(catalog.http({ port: 80, address: viewOf(c, 3, 'webapp.istioinaction.svc.cluster.local'), host: 'webapp', path: '/' }).cluster, 'outbound|80||webapp.istioinaction.svc.cluster.local');
    assert.throws(() => catalog.listener(9090), /0 listeners/);
    assert.equal(catalog.cluster('outbound|80||catalog.istioinaction.svc.cluster.local'), undefined);
  });
  it('the namespace default keeps istio-system but not other namespaces', () => {
    assert.equal(webapp.http({ port: 9090, host: 'prometheus.istio-system', path: '/' }).cluster, 'outbound|9090||prometheus.istio-system.svc.cluster.local');
    assert.equal(webapp.cluster('outbound|7000||billing.other.svc.cluster.local'), undefined);
  });
});
