// `bin/skein proxy-status` and `bin/skein proxy-config` against real processes: a
// `skein xds serve` control plane with Istio-shaped resources and three real proxies
// (an ingress gateway and a webapp sidecar with Istio node ids, admin on POD_IP:15000,
// and a plain node). Proxies are named the way the seeds name them
// (deploy/istio-ingressgateway.istio-system, deploy/webapp -n istioinaction, POD.NS)
// or by --admin-address; the assertions are on the printed tables, compared with
// istioctl's output in seed 003 where the seed shows the same config.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { skeinBin } from '../helpers/paths.js';
import { run } from '../helpers/process.js';
import { syncz } from '../helpers/xds_server.js';
import { waitFor } from '../helpers/wait.js';
import { startMiniMesh, type MiniMesh } from './mesh_fixture.js';

const GW = 'deploy/istio-ingressgateway.istio-system';

let mesh: MiniMesh;

async function skein(...args: string[]) {
  return run(process.execPath, [skeinBin, ...args]);
}

/** `skein ARGS --discovery-address <the xds server>`, which must succeed; its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await skein(...args, '--discovery-address', mesh.discovery);
  assert.equal(r.code, 0, `skein ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Replaces a watched file the way an editor saving by rename does, so the server never reads half of it. */
function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** The table's cells: columns are separated by at least two spaces (padding 5, or 1 in the listener table). */
const cells = (line: string) => line.trimEnd().split(/\s{2,}/);

/** openssl's view of a certificate, to check the secret table against something other than our own parser. */
async function opensslMeta(file: string): Promise<{ serial: string; notBefore: string; notAfter: string }> {
  const r = await run('openssl', ['x509', '-in', file, '-noout', '-serial', '-startdate', '-enddate']);
  const get = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(r.stdout)![1]!;
  const rfc3339 = (d: string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { serial: BigInt(`0x${get('serial')}`).toString(10), notBefore: rfc3339(get('notBefore')), notAfter: rfc3339(get('notAfter')) };
}

describe('skein proxy-status / proxy-config against skein xds serve and real proxies', () => {
  before(async () => {
    mesh = await startMiniMesh();
  });
  after(async () => {
    await mesh?.stop();
  });

  it('proxy-status: one row per proxy sorted by name, every type SYNCED, ECDS NOT SENT', async () => {
    const lines = (await ok('proxy-status')).trimEnd().split('\n');
    assert.deepEqual(cells(lines[0]!), ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']);
    assert.deepEqual(lines.slice(1).map(cells), [
      ['istio-ingressgateway-6bb8fb6549-hcdnc.istio-system', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', mesh.discovery, '1.17.8'],
      ['local-proxy', 'local-cluster', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', mesh.discovery],
      ['webapp-7b8c9d6f4-abcde.istioinaction', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', mesh.discovery, '1.17.8'],
    ]);
    // istioctl's spacing: each column starts 5 spaces after the widest cell before it.
    assert.equal(lines[0]!.indexOf('CLUSTER'), 'istio-ingressgateway-6bb8fb6549-hcdnc.istio-system'.length + 5);
    for (const line of lines.slice(1)) assert.equal(line.indexOf(cells(line)[1]!), lines[0]!.indexOf('CLUSTER'), line);

    const ns = (await ok('proxy-status', '-n', 'istioinaction')).trimEnd().split('\n');
    assert.deepEqual(ns.slice(1).map((l) => cells(l)[0]), ['webapp-7b8c9d6f4-abcde.istioinaction']);
  });

  it("proxy-config listener deploy/istio-ingressgateway.istio-system prints seed 003's table", async () => {
    assert.equal(
      await ok('proxy-config', 'listener', GW),
      'ADDRESS PORT  MATCH DESTINATION\n' +
        '0.0.0.0 8080  ALL   Route: http.8080\n' +
        '0.0.0.0 15021 ALL   Inline Route: /healthz/ready*\n' +
        '0.0.0.0 15090 ALL   Inline Route: /stats/prometheus*\n',
    );
    assert.equal(await ok('proxy-config', 'listeners', 'deploy/webapp', '-n', 'istioinaction'), 'ADDRESS PORT MATCH DESTINATION\n0.0.0.0 8080 ALL   Route: http.8080\n');
    assert.equal(await ok('proxy-config', 'listener', GW, '--port', '15021', '--verbose=false'), 'ADDRESS PORT  TYPE\n0.0.0.0 15021 HTTP\n');
  });

  it('proxy-config routes: the VirtualService, then the static routes (istioctl pads the empty last column)', async () => {
    assert.equal(
      await ok('proxy-config', 'routes', GW),
      'NAME          DOMAINS                     MATCH                  VIRTUAL SERVICE\n' +
        'http.8080     webapp.istioinaction.io     /*                     webapp-vs-from-gw.istioinaction\n' +
        '              *                           /stats/prometheus*     \n' +
        '              *                           /healthz/ready*        \n',
    );
    assert.equal(
      await ok('proxy-config', 'route', 'istio-ingressgateway-6bb8fb6549-hcdnc.istio-system', '--name', 'http.8080'),
      'NAME          DOMAINS                     MATCH     VIRTUAL SERVICE\nhttp.8080     webapp.istioinaction.io     /*        webapp-vs-from-gw.istioinaction\n',
    );
  });

  it('proxy-config routes -o json --name http.8080: the RouteConfiguration as seed 003 shows it (camelCase, metadata as is)', async () => {
    const routes = JSON.parse(await ok('proxy-config', 'routes', GW, '-o', 'json', '--name', 'http.8080'));
    assert.equal(routes.length, 1);
    const [rc] = routes;
    assert.equal(rc.name, 'http.8080');
    assert.equal(rc.validateClusters, false);
    assert.equal(rc.ignorePortInHostMatching, true);
    assert.equal(rc.virtualHosts[0].name, 'webapp.istioinaction.io:80');
    assert.deepEqual(rc.virtualHosts[0].domains, ['webapp.istioinaction.io']);
    const route = rc.virtualHosts[0].routes[0];
    assert.deepEqual(route.match, { prefix: '/' });
    assert.equal(route.route.cluster, 'outbound|80||webapp.istioinaction.svc.cluster.local');
    assert.equal(route.route.timeout, '0s');
    assert.deepEqual(route.metadata, { filterMetadata: { istio: { config: '/apis/networking.istio.io/v1alpha3/namespaces/istioinaction/virtual-service/webapp-vs-from-gw' } } });
    assert.deepEqual(route.decorator, { operation: 'webapp.istioinaction.svc.cluster.local:80/*' });
    assert.match(await ok('proxy-config', 'routes', GW, '-o', 'yaml', '--name', 'http.8080'), /^- ignorePortInHostMatching: true\n {2}name: http\.8080\n/);
  });

  it('proxy-config cluster: Istio names split into columns, sorted like istioctl, DestinationRule named', async () => {
    assert.equal(
      await ok('proxy-config', 'cluster', GW),
      'SERVICE FQDN                                PORT     SUBSET     DIRECTION     TYPE       DESTINATION RULE\n' +
        'BlackHoleCluster                            -        -          -             STATIC     \n' +
        'agent                                       -        -          -             STATIC     \n' +
        'catalog.istioinaction.svc.cluster.local     80       -          outbound      EDS        \n' +
        'catalog.istioinaction.svc.cluster.local     80       v1         outbound      EDS        catalog.istioinaction\n' +
        'prometheus_stats                            -        -          -             STATIC     \n' +
        'secure.istioinaction.svc.cluster.local      443      -          outbound      STATIC     \n' +
        'webapp.istioinaction.svc.cluster.local      80       -          outbound      EDS        \n' +
        'xds-grpc                                    -        -          -             STATIC     \n',
    );
    const json = JSON.parse(await ok('proxy-config', 'cluster', GW, '--fqdn', 'catalog.istioinaction.svc.cluster.local', '-o', 'json'));
    assert.deepEqual(json.map((c: any) => c.name), ['outbound|80||catalog.istioinaction.svc.cluster.local', 'outbound|80|v1|catalog.istioinaction.svc.cluster.local']);
    assert.equal(json[1].edsClusterConfig.serviceName, 'outbound|80|v1|catalog.istioinaction.svc.cluster.local');
    assert.equal(json[1].connectTimeout, '10s');
    const v1 = await ok('proxy-config', 'clusters', GW, '--subset', 'v1', '--direction', 'outbound', '--port', '80');
    assert.deepEqual(v1.trimEnd().split('\n').slice(1).map(cells), [['catalog.istioinaction.svc.cluster.local', '80', 'v1', 'outbound', 'EDS', 'catalog.istioinaction']]);
  });

  it('proxy-config endpoint: what the proxy balances over, with health; --cluster and -o json as in seed 001', async () => {
    const all = await ok('proxy-config', 'endpoint', GW);
    // The seed's `| egrep 'ENDPOINT|istioinaction'`.
    assert.deepEqual(
      all.split('\n').filter((l) => /ENDPOINT|istioinaction/.test(l)),
      [
        'ENDPOINT            STATUS      OUTLIER CHECK     CLUSTER',
        '10.10.0.15:3000     HEALTHY     OK                outbound|80|v1|catalog.istioinaction.svc.cluster.local',
        '10.10.0.15:3000     HEALTHY     OK                outbound|80||catalog.istioinaction.svc.cluster.local',
        '10.10.0.16:8080     HEALTHY     OK                outbound|80||webapp.istioinaction.svc.cluster.local',
        '10.10.0.20:8443     HEALTHY     OK                outbound|443||secure.istioinaction.svc.cluster.local',
      ],
    );
    assert.match(all, /^127\.0\.0\.1:15020 {5}HEALTHY {5}OK {16}agent$/m);
    assert.equal(
      await ok('proxy-config', 'endpoints', GW, '--cluster', 'outbound|80||catalog.istioinaction.svc.cluster.local'),
      'ENDPOINT            STATUS      OUTLIER CHECK     CLUSTER\n10.10.0.15:3000     HEALTHY     OK                outbound|80||catalog.istioinaction.svc.cluster.local\n',
    );
    const json = JSON.parse(await ok('proxy-config', 'endpoint', GW, '--cluster', 'outbound|80||catalog.istioinaction.svc.cluster.local', '-o', 'json'));
    assert.equal(json.length, 1);
    assert.equal(json[0].name, 'outbound|80||catalog.istioinaction.svc.cluster.local');
    assert.equal(json[0].addedViaApi, true);
    assert.deepEqual(json[0].hostStatuses[0].address, { socketAddress: { address: '10.10.0.15', portValue: 3000 } });
    assert.equal(json[0].hostStatuses[0].healthStatus.edsHealthStatus, 'HEALTHY');
    const unhealthy = await ok('proxy-config', 'endpoint', GW, '--status', 'unhealthy');
    assert.equal(unhealthy, 'ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n');
  });

  it('proxy-config secret: the SDS certificates, checked against openssl; -o json decodes back to the PEM, the key redacted', async () => {
    const leaf = await opensslMeta(mesh.pki.webapp.cert);
    const root = await opensslMeta(mesh.pki.root.cert);
    const lines = (await ok('proxy-config', 'secret', GW)).trimEnd().split('\n');
    assert.deepEqual(cells(lines[0]!), ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE']);
    assert.deepEqual(lines.slice(1).map(cells), [
      ['default', 'Cert Chain', 'ACTIVE', 'true', leaf.serial, leaf.notAfter, leaf.notBefore],
      ['ROOTCA', 'CA', 'ACTIVE', 'true', root.serial, root.notAfter, root.notBefore],
    ]);
    // The seed's `-o json | jq '.dynamicActiveSecrets[0].secret.tlsCertificate.certificateChain.inlineBytes' -r | base64 -d`.
    const dump = JSON.parse(await ok('proxy-config', 'secret', GW, '-o', 'json'));
    const secret = dump.dynamicActiveSecrets.find((s: any) => s.name === 'default').secret;
    assert.equal(Buffer.from(secret.tlsCertificate.certificateChain.inlineBytes, 'base64').toString(), mesh.pki.read(mesh.pki.webapp.chain));
    assert.equal(secret.tlsCertificate.privateKey.inlineBytes, 'W3JlZGFjdGVkXQ==', 'private keys print as "[redacted]", as in seed 001');
  });

  it('--admin-address reads any proxy directly, with the same output as naming it', async () => {
    for (const type of ['listener', 'route', 'cluster', 'endpoint']) {
      const named = await ok('proxy-config', type, GW);
      const direct = await skein('proxy-config', type, '--admin-address', mesh.gateway.admin);
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(direct.stdout, named, type);
    }
    const local = await skein('proxy-config', 'route', '--admin-address', mesh.local.admin);
    assert.equal(local.stdout, 'NAME          DOMAINS                     MATCH     VIRTUAL SERVICE\nhttp.8080     webapp.istioinaction.io     /*        webapp-vs-from-gw.istioinaction\n');
  });

  it('proxy-config all: clusters, listeners, routes, secrets and endpoints; -o json is the raw config dump', async () => {
    const text = await ok('proxy-config', 'all', GW);
    const headers = text.split('\n').filter((l) => /^(SERVICE FQDN|ADDRESS|NAME|RESOURCE NAME|ENDPOINT) /.test(l)).map((l) => l.split(/\s{2,}| /)[0]);
    assert.deepEqual(headers, ['SERVICE', 'ADDRESS', 'NAME', 'RESOURCE', 'ENDPOINT']);
    const dump = JSON.parse(await ok('proxy-config', 'all', GW, '-o', 'json'));
    assert.ok(dump.configs.some((c: any) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump'));
    const bootstrap = JSON.parse(await ok('proxy-config', 'bootstrap', GW));
    assert.equal(bootstrap.bootstrap.node.id, mesh.gateway.nodeId);
    assert.equal(bootstrap.bootstrap.node.metadata.ISTIO_VERSION, '1.17.8');
  });

  it('proxy-config log: reads and changes the proxy log levels; an unknown logger is an error', async () => {
    const set = await ok('proxy-config', 'log', GW, '--level', 'http:debug,upstream:info');
    assert.match(set, /^active loggers:\n/);
    assert.match(set, /^ {2}http: debug$/m);
    assert.match(set, /^ {2}upstream: info$/m);
    const listing = await (await fetch(`http://${mesh.gateway.admin}/logging`, { method: 'POST' })).text();
    assert.match(listing, /^ {2}http: debug$/m, 'the proxy itself reports the new level');
    const bad = await skein('proxy-config', 'log', GW, '--level', 'htp:debug', '--discovery-address', mesh.discovery);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: unrecognized logger name: htp \(the proxy has: .*http.*\)$/m);
    const reset = await ok('proxy-config', 'log', GW, '-r');
    assert.match(reset, /^ {2}http: warning$/m);
    assert.doesNotMatch(reset, /: (debug|info)$/m);
  });

  it('errors name what is wrong: an unknown proxy lists the known ones, an unreachable discovery server says how to set it', async () => {
    const unknown = await skein('proxy-config', 'route', 'deploy/catalog.istioinaction', '--discovery-address', mesh.discovery);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /deployment "catalog\.istioinaction" not found/);
    assert.match(unknown.stderr, /istio-ingressgateway-6bb8fb6549-hcdnc\.istio-system, local-proxy, webapp-7b8c9d6f4-abcde\.istioinaction/);

    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const down = await skein('proxy-status', '--discovery-address', `127.0.0.1:${closed}`);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`cannot reach the discovery server at 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
    assert.match(down.stderr, /--discovery-address HOST:PORT or SKEIN_DISCOVERY_ADDRESS/);
    const env = await run('env', [`SKEIN_DISCOVERY_ADDRESS=127.0.0.1:${closed}`, process.execPath, skeinBin, 'proxy-config', 'route', GW]);
    assert.match(env.stderr, new RegExp(`at 127\\.0\\.0\\.1:${closed}`), 'the environment variable is used');

    const noIp = await skein('proxy-config', 'route', 'local-proxy', '--discovery-address', mesh.discovery);
    assert.equal(noIp.code, 1);
    assert.match(noIp.stderr, /proxy "local-proxy" has no pod IP .* use --admin-address HOST:PORT/);

    const diff = await skein('proxy-status', 'deploy/webapp.istioinaction', '--discovery-address', mesh.discovery);
    assert.equal(diff.code, 1);
    assert.match(diff.stderr, /does not serve \/debug\/config_dump\?proxyID=.*skein xds serve does not/);
  });

  it('a NACKed listener shows as STALE, with the NACK on stderr, until a good version is ACKed', async () => {
    const file = path.join(mesh.resources, 'listener.yaml');
    const good = fs.readFileSync(file, 'utf8');
    // Valid for the server, rejected by the proxies: the router must be the last HTTP filter.
    const bad = `${good.trimEnd()}\n      - name: envoy.filters.http.health_check\n        typed_config:\n          "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck\n          pass_through_mode: false\n`;
    writeAtomically(file, bad);
    await waitFor(async () => (await syncz(mesh.xds.statusUrl)).every((e) => e.types.LDS?.state === 'STALE' && e.types.LDS.lastNack), 'every proxy NACKing the listener');
    const r = await skein('proxy-status', '--discovery-address', mesh.discovery);
    assert.equal(r.code, 0);
    const rows = r.stdout.trimEnd().split('\n').slice(1).map(cells);
    assert.deepEqual(rows.map((c) => [c[0], c[2], c[3]]), [
      ['istio-ingressgateway-6bb8fb6549-hcdnc.istio-system', 'SYNCED', 'STALE'],
      ['local-proxy', 'SYNCED', 'STALE'],
      ['webapp-7b8c9d6f4-abcde.istioinaction', 'SYNCED', 'STALE'],
    ]);
    assert.match(r.stderr, /^webapp-7b8c9d6f4-abcde\.istioinaction: LDS version \S+ NACKed: .*must be the last filter/m);

    writeAtomically(file, good);
    await waitFor(async () => (await syncz(mesh.xds.statusUrl)).every((e) => e.types.LDS?.state === 'SYNCED'), 'every proxy ACKing the restored listener');
    const again = await skein('proxy-status', '--discovery-address', mesh.discovery);
    assert.ok(again.stdout.trimEnd().split('\n').slice(1).every((l) => cells(l)[3] === 'SYNCED'), again.stdout);
    assert.equal(again.stderr, '');
  });
});
