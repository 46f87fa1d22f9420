// The discovery server end to end, in-process, with a real `skein proxy` process as
// its client: seed 003's coolstore config becomes the ingress gateway's listener
// 0.0.0.0_8080 and route http.8080; a VirtualService edit reaches the proxy; a
// second catalog pod is an EDS-only push; a broken file keeps the last good config;
// a malformed node id gets no config; the debug port tells what happened.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { logRegistry } from '../../../src/common/logger.js';
import { DiscoveryServer, type SyncStatusEntry } from '../../../src/discovery/server/index.js';
import { configDump, dumpSection } from '../../helpers/admin.js';
import { spawnProxy, stopProcess, tempDir, type SkeinProcess } from '../../helpers/process.js';
import { waitFor } from '../../helpers/wait.js';
import {
  capturingLogger,
  CATALOG_POD,
  CATALOG_POD_2,
  coolstorePods,
  GATEWAY_IP,
  GATEWAY_NODE_ID,
  routerBootstrap,
  startNamedServer,
  virtualServiceYaml,
  WEBAPP_POD,
  writeCoolstore,
} from './coolstore.js';
import { podIp } from '../../../src/discovery/model/local_addresses.js';

type Obj = Record<string, any>;

// The discovery server logs to the test's own logger; the xDS library's stream logs stay quiet.
if (!process.env.SKEIN_TEST_LOGS) logRegistry.setLevel('xds', 'critical');

function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { connection: 'close', ...(host ? { host } : {}) } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const routeNames = (dump: Obj) => (dumpSection(dump as never, 'RoutesConfigDump').dynamic_route_configs ?? []).map((r: Obj) => r.route_config.name as string);
const listenerNames = (dump: Obj) => (dumpSection(dump as never, 'ListenersConfigDump').dynamic_listeners ?? []).map((l: Obj) => l.name as string);

/** The clusters every route of `routeName` sends to, from the proxy's config_dump. */
async function routeClusters(admin: string, routeName: string): Promise<string[]> {
  const dump = await configDump(admin);
  const rc = (dumpSection(dump, 'RoutesConfigDump').dynamic_route_configs ?? []).find((r: Obj) => r.route_config.name === routeName);
  if (!rc) return [];
  return (rc.route_config.virtual_hosts as Obj[]).flatMap((vh) => (vh.routes as Obj[]).map((r) => r.route?.cluster ?? '')).filter(Boolean);
}

async function endpointsOf(admin: string, cluster: string): Promise<string[]> {
  const res = await fetch(`${admin}/config_dump?resource=dynamic_endpoint_configs&include_eds`);
  if (res.status !== 200) throw new Error(`${admin}/config_dump: ${res.status} ${await res.text()}`);
  const dump = (await res.json()) as { configs: Obj[] };
  const cla = (dump.configs as Obj[]).find((c) => c.endpoint_config?.cluster_name === cluster)?.endpoint_config;
  return ((cla?.endpoints ?? []) as Obj[])
    .flatMap((l) => l.lb_endpoints as Obj[])
    .map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`)
    .sort();
}

async function metric(debug: string, name: string): Promise<number> {
  const text = await (await fetch(`${debug}/metrics`)).text();
  const escaped = name.replace(/[{}"|.]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('DiscoveryServer with a real gateway proxy', () => {
  const dir = tempDir('skein-discovery-');
  const { vsFile } = writeCoolstore(dir);
  const { logger, lines } = capturingLogger();
  const backends: http.Server[] = [];
  let server: DiscoveryServer;
  let debug: string;
  let xdsPort: number;
  let router: { proc: SkeinProcess; admin: string };
  const pushes: Array<{ version: string; proxies: number; reason: string; scope: string }> = [];

  const syncEntry = async (): Promise<SyncStatusEntry | undefined> => {
    const entries = (await (await fetch(`${debug}/debug/syncz`)).json()) as SyncStatusEntry[];
    return entries.find((e) => e.nodeId === GATEWAY_NODE_ID);
  };
  const allSynced = (e: SyncStatusEntry | undefined) => !!e && ['CDS', 'LDS', 'EDS', 'RDS'].every((t) => e.types[t]?.state === 'SYNCED');

  before(async () => {
    backends.push(await startNamedServer('webapp', podIp(WEBAPP_POD), 8080));
    backends.push(await startNamedServer('catalog-1', podIp(CATALOG_POD), 3000));
    backends.push(await startNamedServer('catalog-2', podIp(CATALOG_POD_2), 3000));
    server = new DiscoveryServer({ configPaths: [dir], xdsPort: 0, xdsHost: '127.0.0.1', debugPort: 0, debounceMs: 50, initialPods: coolstorePods(), logger });
    server.on('push', (e) => pushes.push(e));
    const ports = await server.start();
    debug = `http://127.0.0.1:${ports.debugPort}`;
    xdsPort = ports.xdsPort;
    // --pod-ip: the gateway's 0.0.0.0 listeners bind its own pod IP, as in the local mesh.
    router = await spawnProxy(routerBootstrap(xdsPort), ['--pod-ip', GATEWAY_IP]);
  });

  after(async () => {
    await stopProcess(router?.proc);
    await server?.close();
    for (const b of backends) await new Promise((r) => b.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is ready once the config is loaded, and logs the initial push', async () => {
    assert.equal((await fetch(`${debug}/ready`)).status, 200);
    assert.ok(pushes.some((p) => p.reason === 'initial'), JSON.stringify(pushes));
    assert.ok(lines.some((l) => /\[info\]\[discovery\] push v\d+: \d+ proxies, [\d.]+ ms \(initial\)/.test(l)), lines.join('\n'));
  });

  it('gives the gateway listener 0.0.0.0_8080 and route http.8080 for the coolstore gateway', async () => {
    const dump = await waitFor(async () => {
      const d = await configDump(router.admin);
      return listenerNames(d).includes('0.0.0.0_8080') && routeNames(d).includes('http.8080') ? d : undefined;
    }, 'listener 0.0.0.0_8080 and route http.8080 in the proxy', { detail: async () => JSON.stringify(server.configDump(GATEWAY_NODE_ID)).slice(0, 4000) });
    const rc = dumpSection(dump, 'RoutesConfigDump').dynamic_route_configs.find((r: Obj) => r.route_config.name === 'http.8080').route_config;
    assert.ok((rc.virtual_hosts as Obj[]).some((vh) => vh.name === 'webapp.istioinaction.io:80'), JSON.stringify(rc));
    assert.deepEqual(await routeClusters(router.admin, 'http.8080'), ['outbound|80||webapp.istioinaction.svc.cluster.local']);
  });

  it('routes requests for webapp.istioinaction.io through the gateway, and 404s others', async () => {
    const url = `http://${GATEWAY_IP}:8080/api/catalog`;
    const ok = await waitFor(async () => {
      const r = await get(url, 'webapp.istioinaction.io');
      return r.status === 200 ? r : undefined;
    }, 'a 200 from webapp through the gateway');
    assert.equal(ok.body, 'webapp');
    assert.equal((await get(url)).status, 404);
  });

  it('shows the proxy SYNCED on /debug/syncz with its name, cluster, version and the server identity', async () => {
    const entry = await waitFor(async () => {
      const e = await syncEntry();
      return allSynced(e) ? e : undefined;
    }, 'the gateway SYNCED in /debug/syncz', { detail: async () => JSON.stringify(await syncEntry()) });
    assert.equal(entry.proxy, 'istio-ingressgateway-abc.istio-system');
    assert.equal(entry.clusterId, 'Kubernetes');
    assert.equal(entry.istioVersion, '1.17.8');
    assert.equal(entry.proxyType, 'router');
    assert.match(entry.discovery, /^istiod-[0-9a-f]+$/);
    assert.equal(entry.discovery, server.identity);
    assert.equal(entry.types.LDS!.ackedVersion, entry.currentVersions.LDS);
  });

  it('serves the generated config, registry and config objects on the debug port', async () => {
    const byName = await fetch(`${debug}/debug/config_dump?proxyID=istio-ingressgateway-abc.istio-system`);
    assert.equal(byName.status, 200);
    const dump = (await byName.json()) as Obj;
    assert.equal(dump.proxy.id, GATEWAY_NODE_ID);
    const listeners = dump.configs.find((c: Obj) => c['@type'].endsWith('ListenersConfigDump'));
    assert.ok(listeners.dynamic_listeners.some((l: Obj) => l.name === '0.0.0.0_8080' && l.active_state.listener['@type']));
    assert.equal((await fetch(`${debug}/debug/config_dump?proxyID=nobody.nowhere`)).status, 404);
    assert.equal((await fetch(`${debug}/debug/config_dump`)).status, 400);

    const registry = (await (await fetch(`${debug}/debug/registry`)).json()) as Obj[];
    const webapp = registry.find((s) => s.hostname === 'webapp.istioinaction.svc.cluster.local');
    assert.ok(webapp, JSON.stringify(registry.map((s) => s.hostname)));
    assert.deepEqual(webapp.ports[0].endpoints.map((e: Obj) => `${e.address}:${e.port}`), [`${podIp(WEBAPP_POD)}:8080`]);

    const configz = (await (await fetch(`${debug}/debug/configz`)).json()) as Obj[];
    assert.ok(configz.some((o) => o.kind === 'VirtualService' && o.metadata.name === 'webapp-vs-from-gw' && /virtualservice\.yaml:\d+$/.test(o.source)));
    const metricsText = await (await fetch(`${debug}/metrics`)).text();
    assert.match(metricsText, /^pilot_xds\{protocol="sotw"\} 1$/m);
    assert.match(metricsText, /^pilot_xds_pushes\{type="lds"\} \d+$/m);
  });

  it('pushes a VirtualService edit to the proxy', async () => {
    fs.writeFileSync(vsFile, virtualServiceYaml('catalog'));
    await waitFor(async () => (await routeClusters(router.admin, 'http.8080')).join() === 'outbound|80||catalog.istioinaction.svc.cluster.local', 'the route to point at catalog', {
      detail: async () => JSON.stringify(await routeClusters(router.admin, 'http.8080')),
    });
    const r = await waitFor(async () => {
      const res = await get(`http://${GATEWAY_IP}:8080/items`, 'webapp.istioinaction.io');
      return res.body.startsWith('catalog') ? res : undefined;
    }, 'catalog answering through the gateway');
    assert.equal(r.status, 200);
    assert.ok(pushes.some((p) => p.reason.includes('config')));
  });

  it('sends only EDS when a pod is added', async () => {
    await waitFor(async () => allSynced(await syncEntry()), 'the gateway SYNCED before scaling');
    const before = (await syncEntry())!;
    const pushesBefore = { lds: await metric(debug, 'pilot_xds_pushes{type="lds"}'), cds: await metric(debug, 'pilot_xds_pushes{type="cds"}'), rds: await metric(debug, 'pilot_xds_pushes{type="rds"}'), eds: await metric(debug, 'pilot_xds_pushes{type="eds"}') };

    server.setPods(coolstorePods(true));
    const catalog = 'outbound|80||catalog.istioinaction.svc.cluster.local';
    await waitFor(async () => (await endpointsOf(router.admin, catalog)).length === 2, 'two catalog endpoints in the proxy', {
      detail: async () => JSON.stringify(await endpointsOf(router.admin, catalog)),
    });
    const afterEntry = await waitFor(async () => {
      const e = await syncEntry();
      return allSynced(e) ? e : undefined;
    }, 'the gateway SYNCED after scaling');
    assert.deepEqual(await endpointsOf(router.admin, catalog), [`${podIp(CATALOG_POD)}:3000`, `${podIp(CATALOG_POD_2)}:3000`]);
    for (const t of ['CDS', 'LDS', 'RDS']) assert.equal(afterEntry.currentVersions[t], before.currentVersions[t], `${t} version must not change`);
    assert.notEqual(afterEntry.currentVersions.EDS, before.currentVersions.EDS);
    assert.equal(afterEntry.types.EDS!.ackedVersion, afterEntry.currentVersions.EDS);
    assert.equal(await metric(debug, 'pilot_xds_pushes{type="lds"}'), pushesBefore.lds);
    assert.equal(await metric(debug, 'pilot_xds_pushes{type="cds"}'), pushesBefore.cds);
    assert.equal(await metric(debug, 'pilot_xds_pushes{type="rds"}'), pushesBefore.rds);
    assert.ok((await metric(debug, 'pilot_xds_pushes{type="eds"}')) > pushesBefore.eds);
    assert.ok(pushes.some((p) => p.reason.includes('pods') && p.scope === 'endpoints'), 'an endpoint-only push: only ClusterLoadAssignments rebuilt');
  });

  it('reports a broken file with file:line and keeps serving the last good config', async () => {
    const issuesBefore = lines.length;
    fs.writeFileSync(vsFile, virtualServiceYaml('webapp').replace('  http:\n', '  http:\n  - route: [unclosed\n'));
    const issue = await waitFor(async () => {
      const body = (await (await fetch(`${debug}/debug/config_issues`)).json()) as { config: Array<{ file: string; line: number; text: string }> };
      return body.config.find((i) => i.file.endsWith('virtualservice.yaml'));
    }, 'an issue for virtualservice.yaml');
    assert.ok(issue.line > 0, JSON.stringify(issue));
    await waitFor(() => lines.slice(issuesBefore).some((l) => /\[error\]\[discovery\] config: .*virtualservice\.yaml:\d+/.test(l)), 'the issue in the log', {
      detail: () => lines.slice(issuesBefore).join('\n'),
    });
    // The proxy still routes to catalog: the broken edit changed nothing it was sent.
    assert.deepEqual(await routeClusters(router.admin, 'http.8080'), ['outbound|80||catalog.istioinaction.svc.cluster.local']);
    assert.equal((await get(`http://${GATEWAY_IP}:8080/items`, 'webapp.istioinaction.io')).body.startsWith('catalog'), true);

    fs.writeFileSync(vsFile, virtualServiceYaml('webapp'));
    await waitFor(async () => (await routeClusters(router.admin, 'http.8080')).join() === 'outbound|80||webapp.istioinaction.svc.cluster.local', 'the fixed file to apply');
  });

  it('refuses a proxy with a malformed node id and keeps serving the others', async () => {
    // initial_fetch_timeout: a proxy that gets no config still finishes starting.
    const bad = await spawnProxy(routerBootstrap(xdsPort, 'not-an-istio-node-id', undefined, '1s'));
    try {
      await waitFor(() => lines.some((l) => /\[warning\]\[discovery\] refused xDS stream: invalid proxy id "not-an-istio-node-id"/.test(l)), 'the refusal in the log', {
        detail: () => lines.slice(-20).join('\n'),
      });
      const dump = await configDump(bad.admin);
      assert.deepEqual(listenerNames(dump), []);
      assert.ok(allSynced(await syncEntry()));
      assert.equal((await fetch(`${debug}/ready`)).status, 200);
    } finally {
      await stopProcess(bad.proc);
    }
  });
});
