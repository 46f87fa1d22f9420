// Live xDS updates drop nothing: a real `bin/skein proxy` gets everything over ADS
// from a real `bin/skein xds serve` reading a temp copy of examples/xds/resources,
// routes to two real `bin/skein echo` upstreams (pods "a" and "b"), and carries
// HTTP/1.1 keep-alive load from `wrk` while the folder changes underneath it: a
// route change, an endpoint swap, a listener replacement on the same port, a
// listener and a cluster the proxy rejects (NACK), and the control plane killed
// with SIGKILL and restarted. Every step asserts that wrk saw no non-2xx response
// and no socket error, and that the change took effect (curl, the proxy's admin
// API, the server's /debug/syncz).
//
// The whole scenario runs once over state-of-the-world ADS (examples/xds/bootstrap.yaml,
// api_type GRPC) and once over delta ADS (bootstrap-delta.yaml, api_type DELTA_GRPC).
//
// Nothing here is timed: wrk runs until the conditions of the step are met (load seen
// by the proxy, the change applied, more load after it) and is then stopped with
// SIGINT, which makes it print its usual summary.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { run, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';
import { adminListenerPort, adminStat, adminStats, configDump, dumpSection } from '../helpers/admin.js';
import { served, spawnXdsServer, syncEntry, syncz, type XdsServer } from '../helpers/xds_server.js';
import { waitFor } from '../helpers/wait.js';
import { startWrk, type WrkRun, type WrkSummary } from '../helpers/wrk.js';

const VARIANTS = [
  { name: 'ADS state of the world (api_type GRPC)', bootstrap: 'bootstrap.yaml', apiType: 'GRPC', protocol: 'sotw' },
  { name: 'ADS delta (api_type DELTA_GRPC)', bootstrap: 'bootstrap-delta.yaml', apiType: 'DELTA_GRPC', protocol: 'delta' },
] as const;

const NODE = 'local-proxy';
const TYPES = ['CDS', 'EDS', 'LDS', 'RDS'] as const;
const EXAMPLES = path.join(repoRoot, 'examples', 'xds');
/** What a request served through the proxy counts in (the proxy's own stat). */
const SERVED = 'cluster.service.upstream_rq_total';
const NO_SOCKET_ERRORS = { connect: 0, read: 0, write: 0, timeout: 0 };

interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** GET with curl (a fresh connection each time); headers lower-cased. */
async function curl(url: string): Promise<HttpAnswer> {
  const r = await run('curl', ['-s', '-i', '--max-time', '10', url]);
  if (r.code !== 0) throw new Error(`curl ${url} exited ${r.code}: ${r.stderr}`);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(head[0]!.split(' ')[1]), headers, body: r.stdout.slice(split + 4) };
}

/** Which echo pod answered. */
function pod(answer: HttpAnswer): string {
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { pod: string }).pod;
}

/**
 * Rewrites a resource file the way an editor that saves by renaming does (a hidden
 * temp file, then rename), so the server never reads a half-written file. `from`
 * must be in the file: a changed example fails loudly here, not as a puzzling
 * assertion later.
 */
function edit(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} does not contain ${JSON.stringify(from)}:\n${text}`);
  writeAtomically(file, text.replace(from, to));
}

function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

for (const variant of VARIANTS) {
  describe(`live xDS updates under wrk load, ${variant.name}`, () => {
    let root = '';
    let resources = '';
    const echo: Record<'a' | 'b', { proc?: SkeinProcess; port: number }> = { a: { port: 0 }, b: { port: 0 } };
    let xds: XdsServer | undefined;
    let proxy: SkeinProcess | undefined;
    let admin = '';
    let listenerPort = 0;
    const loads = new Set<WrkRun>();

    const url = (p = '/') => `http://127.0.0.1:${listenerPort}${p}`;
    const requestsServed = () => adminStat(admin, SERVED);
    const file = (name: string) => path.join(resources, name);
    const proxyLogTail = () => (proxy ? proxy.output().split('\n').slice(-40).join('\n') : '');
    /** This proxy's stream on /debug/syncz. */
    const sync = async () => {
      const entry = await syncEntry(xds!.statusUrl, NODE);
      if (!entry) throw new Error(`node ${NODE} is not connected to the xds server`);
      return entry;
    };
    /** The version the server serves now for a type (CDS, EDS, LDS, RDS). */
    const servedOf = async (type: string) => (await served(xds!.statusUrl)).versions[type]!;
    /** The proxy ACKed the type's current version. */
    const acked = async (type: string) => {
      const [entry, version] = await Promise.all([sync(), servedOf(type)]);
      const s = entry.types[type];
      return s?.state === 'SYNCED' && s.ackedVersion === version ? entry : undefined;
    };
    const syncDetail = async () => `served ${JSON.stringify(await served(xds!.statusUrl))}\n/debug/syncz: ${JSON.stringify(await syncz(xds!.statusUrl), null, 1)}`;
    /** The proxy ACKed what the server serves now, for every type. */
    const allSynced = async () => {
      const [entry, now] = await Promise.all([sync(), served(xds!.statusUrl)]);
      return TYPES.every((t) => entry.types[t]?.state === 'SYNCED' && entry.types[t]!.ackedVersion === now.versions[t]) ? { entry, now } : undefined;
    };

    /**
     * Runs wrk against the listener, applies `change` once the proxy has seen its
     * load, keeps the load on until the proxy has served plenty more after the
     * change, then stops wrk and asserts it saw no failure at all.
     */
    async function underLoad(t: TestContext, change: () => Promise<void>): Promise<WrkSummary> {
      const start = await requestsServed();
      const wrk = startWrk(url('/load'), { threads: 1, connections: 8 });
      loads.add(wrk);
      let summary: WrkSummary;
      try {
        const started = await waitFor(async () => (!wrk.running() ? 'exited' : (await requestsServed()) >= start + 200 && 'flowing'), 'wrk load through the proxy');
        assert.equal(started, 'flowing', `wrk ended before the change:\n${wrk.output()}`);
        await change();
        const changed = await requestsServed();
        await waitFor(async () => !wrk.running() || (await requestsServed()) >= changed + 1000, 'more wrk load after the change');
        assert.ok(wrk.running(), `wrk ended before the step was over:\n${wrk.output()}`);
        summary = await wrk.stop();
      } finally {
        wrk.kill();
        loads.delete(wrk);
      }
      t.diagnostic(`wrk: ${summary.requests} requests, ${summary.non2xx3xx} non-2xx/3xx, socket errors ${JSON.stringify(summary.socketErrors)}`);
      const context = `wrk said:\n${summary.raw}\nproxy log (tail):\n${proxyLogTail()}`;
      assert.equal(summary.non2xx3xx, 0, `non-2xx/3xx responses during the change; ${context}`);
      assert.deepEqual(summary.socketErrors, NO_SOCKET_ERRORS, `socket errors during the change; ${context}`);
      assert.ok(summary.requests > 0, context);
      return summary;
    }

    before(async () => {
      root = tempDir('skein-xds-live-');
      resources = path.join(root, 'resources');
      fs.cpSync(path.join(EXAMPLES, 'resources'), resources, { recursive: true });
      for (const name of ['a', 'b'] as const) {
        const proc = (echo[name].proc = spawnSkein(['echo', '--port', '0', '--host', '127.0.0.1', '--pod', name]));
        echo[name].port = Number((await proc.waitFor(/echo listening on http:\/\/[^:]+:(\d+)/))[1]);
      }
      // The example's fixed ports become a free one (the listener) and echo "a".
      edit(file('listener.yaml'), 'port_value: 10000', 'port_value: 0');
      edit(file('endpoints.yaml'), 'port_value: 8000', `port_value: ${echo.a.port}`);
      xds = await spawnXdsServer(resources);

      let bootstrap = fs.readFileSync(path.join(EXAMPLES, variant.bootstrap), 'utf8');
      assert.match(bootstrap, new RegExp(`api_type: ${variant.apiType}\\n`));
      assert.ok(bootstrap.includes('port_value: 18000') && bootstrap.includes('port_value: 15000'), bootstrap);
      bootstrap = bootstrap.replace('port_value: 18000', `port_value: ${xds.port}`).replace('port_value: 15000', 'port_value: 0');
      fs.writeFileSync(path.join(root, 'bootstrap.yaml'), bootstrap);
      const adminFile = path.join(root, 'admin-address');
      proxy = spawnSkein(['proxy', '-c', path.join(root, 'bootstrap.yaml'), '--admin-address-path', adminFile, '--drain-time-s', '2']);
      await proxy.waitFor(/starting main dispatch loop/, 20_000);
      admin = `http://${fs.readFileSync(adminFile, 'utf8').trim()}`;
      listenerPort = await adminListenerPort(admin, 'listener_0');
    });

    after(async () => {
      for (const wrk of loads) wrk.kill();
      await stopProcess(proxy);
      await stopProcess(xds?.proc);
      await stopProcess(echo.a.proc);
      await stopProcess(echo.b.proc);
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it('starts from the folder: LDS → RDS → CDS → EDS over ADS, all SYNCED, /ready LIVE', async () => {
      assert.equal(pod(await curl(url('/'))), 'a');
      const ready = await fetch(`${admin}/ready`);
      assert.equal(ready.status, 200);
      assert.equal((await ready.text()).trim(), 'LIVE');
      const { entry, now } = await waitFor(allSynced, `${NODE} SYNCED for ${TYPES.join('/')}`, { detail: syncDetail });
      assert.equal(entry.protocol, variant.protocol);
      assert.equal(entry.service, 'ads');
      assert.match(now.version, /^1-[0-9a-f]{8}$/);
      for (const t of TYPES) assert.equal(entry.types[t]!.ackedVersion, now.version, `${t}: ${JSON.stringify(entry.types[t])}`);
      const stats = await adminStats(admin);
      assert.equal(stats.get('control_plane.connected_state'), 1);
      assert.equal(stats.get('listener_manager.lds.update_success'), 1);
      assert.equal(stats.get('cluster_manager.cds.update_success'), 1);
      assert.equal(stats.get('listener_manager.lds.update_rejected'), 0);
      assert.equal(stats.get('cluster_manager.cds.update_rejected'), 0);
    });

    it('1. a route change (a response header, a new route) applies under load, nothing fails', async (t) => {
      const routesBefore = dumpSection(await configDump(admin), 'RoutesConfigDump').dynamic_route_configs[0];
      const ldsSuccess = await adminStat(admin, 'listener_manager.lds.update_success');
      await underLoad(t, async () => {
        edit(
          file('route.yaml'),
          'name: local_route\n',
          'name: local_route\nresponse_headers_to_add:\n- header: { key: x-route-version, value: v2 }\n',
        );
        edit(
          file('route.yaml'),
          '  routes:\n',
          '  routes:\n  - match: { prefix: "/added" }\n    direct_response: { status: 200, body: { inline_string: "added route" } }\n',
        );
        await waitFor(async () => (await curl(url('/added'))).body === 'added route', 'the new route at /added');
      });
      const answer = await curl(url('/'));
      assert.equal(answer.headers['x-route-version'], 'v2');
      assert.equal(pod(answer), 'a');
      await waitFor(() => acked('RDS'), 'RDS ACKed', { detail: syncDetail });
      const route = dumpSection(await configDump(admin), 'RoutesConfigDump').dynamic_route_configs[0];
      assert.equal(route.route_config.name, 'local_route');
      assert.equal(route.version_info, await servedOf('RDS'));
      assert.notEqual(route.version_info, routesBefore.version_info);
      assert.deepEqual(route.route_config.response_headers_to_add, [{ header: { key: 'x-route-version', value: 'v2' } }]);
      // RDS alone changed: the listener was not rebuilt.
      assert.equal(await adminStat(admin, 'listener_manager.lds.update_success'), ldsSuccess);
    });

    it('2. an endpoint swap moves traffic from echo a to echo b under load, nothing fails', async (t) => {
      const cdsSuccess = await adminStat(admin, 'cluster_manager.cds.update_success');
      await underLoad(t, async () => {
        edit(file('endpoints.yaml'), `port_value: ${echo.a.port}`, `port_value: ${echo.b.port}`);
        await waitFor(async () => pod(await curl(url('/'))) === 'b', 'a response from echo b');
      });
      for (let i = 0; i < 5; i++) assert.equal(pod(await curl(url('/'))), 'b');
      const clusters = await (await fetch(`${admin}/clusters`)).text();
      assert.match(clusters, new RegExp(`^service::127\\.0\\.0\\.1:${echo.b.port}::`, 'm'));
      assert.doesNotMatch(clusters, new RegExp(`^service::127\\.0\\.0\\.1:${echo.a.port}::`, 'm'));
      await waitFor(() => acked('EDS'), 'EDS ACKed', { detail: syncDetail });
      // EDS alone changed: the cluster (and its pools) stayed.
      assert.equal(await adminStat(admin, 'cluster_manager.cds.update_success'), cdsSuccess);
    });

    it('3. replacing listener_0 on the same port drains its connections under load, nothing fails', async (t) => {
      const ldsSuccess = await adminStat(admin, 'listener_manager.lds.update_success');
      await underLoad(t, async () => {
        edit(file('listener.yaml'), 'stat_prefix: ingress_http\n', 'stat_prefix: ingress_v2\n      server_name: skein-v2\n');
        // New connections get the new listener...
        await waitFor(async () => (await curl(url('/'))).headers.server === 'skein-v2', 'server: skein-v2 from the new listener');
        // ...wrk's keep-alive connections are closed after a response and reopened on it...
        await waitFor(async () => (await adminStat(admin, 'http.ingress_v2.downstream_rq_total')) >= 200, 'wrk load on the new listener');
        // ...and none is left on the old one.
        await waitFor(async () => (await adminStat(admin, 'http.ingress_http.downstream_cx_active')) === 0, 'no connection left on the old listener');
      });
      assert.equal(await adminListenerPort(admin, 'listener_0'), listenerPort);
      await waitFor(() => acked('LDS'), 'LDS ACKed', { detail: syncDetail });
      const listener = dumpSection(await configDump(admin), 'ListenersConfigDump').dynamic_listeners.find((l: any) => l.name === 'listener_0');
      assert.equal(listener.active_state.version_info, await servedOf('LDS'));
      assert.equal(listener.active_state.listener.filter_chains[0].filters[0].typed_config.stat_prefix, 'ingress_v2');
      assert.equal(listener.error_state, undefined);
      assert.equal(await adminStat(admin, 'listener_manager.lds.update_success'), ldsSuccess + 1);
    });

    it('4a. a listener the proxy rejects is NACKed under load; the running one keeps serving', async (t) => {
      const good = fs.readFileSync(file('listener.yaml'), 'utf8');
      const rejected = await adminStat(admin, 'listener_manager.lds.update_rejected');
      const listenerNow = async () => dumpSection(await configDump(admin), 'ListenersConfigDump').dynamic_listeners.find((l: any) => l.name === 'listener_0');
      const activeBefore = (await listenerNow()).active_state.version_info;
      // Valid for the schema (the server serves it), invalid for the proxy: the router must be the last HTTP filter.
      const bad = `${good.trimEnd()}\n      - name: envoy.filters.http.health_check\n        typed_config:\n          "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck\n          pass_through_mode: false\n`;
      let badVersion = '';
      await underLoad(t, async () => {
        writeAtomically(file('listener.yaml'), bad);
        await waitFor(async () => {
          badVersion = await servedOf('LDS');
          const lds = (await sync()).types.LDS!;
          return lds.state === 'STALE' && lds.lastNack?.version === badVersion;
        }, 'the NACK of the bad listener on /debug/syncz', { detail: syncDetail });
      });
      const lds = (await sync()).types.LDS!;
      assert.match(lds.lastNack!.message, /must be the last filter/);
      const listener = await listenerNow();
      assert.match(listener.error_state.details, /envoy\.filters\.http\.router.*must be the last filter/);
      assert.equal(listener.error_state.version_info, badVersion);
      assert.equal(listener.active_state.version_info, activeBefore);
      assert.equal(await adminStat(admin, 'listener_manager.lds.update_rejected'), rejected + 1);
      const answer = await curl(url('/'));
      assert.equal(answer.headers.server, 'skein-v2');
      assert.equal(pod(answer), 'b');

      // The good file back: a new version, ACKed, and the error is history.
      writeAtomically(file('listener.yaml'), good);
      await waitFor(async () => (await acked('LDS')) && (await servedOf('LDS')) !== badVersion, 'LDS SYNCED again after restoring the listener', { detail: syncDetail });
      assert.equal((await listenerNow()).error_state, undefined, 'error_state of listener_0 after the accepted update');
    });

    it('4b. a cluster the proxy rejects is NACKed under load; the running one keeps serving', async (t) => {
      const good = fs.readFileSync(file('cluster.yaml'), 'utf8');
      const rejected = await adminStat(admin, 'cluster_manager.cds.update_rejected');
      const serviceNow = async () => dumpSection(await configDump(admin), 'ClustersConfigDump').dynamic_active_clusters.find((c: any) => c.cluster.name === 'service');
      let badVersion = '';
      await underLoad(t, async () => {
        // CLUSTER_PROVIDED is a valid enum value, but not for an EDS cluster.
        edit(file('cluster.yaml'), 'lb_policy: ROUND_ROBIN', 'lb_policy: CLUSTER_PROVIDED');
        await waitFor(async () => {
          badVersion = await servedOf('CDS');
          const cds = (await sync()).types.CDS!;
          return cds.state === 'STALE' && cds.lastNack?.version === badVersion;
        }, 'the NACK of the bad cluster on /debug/syncz', { detail: syncDetail });
      });
      const cds = (await sync()).types.CDS!;
      assert.match(cds.lastNack!.message, /CLUSTER_PROVIDED/);
      const service = await serviceNow();
      assert.equal(service.cluster.lb_policy ?? 'ROUND_ROBIN', 'ROUND_ROBIN');
      assert.match(service.error_state.details, /lb_policy.*CLUSTER_PROVIDED/);
      assert.equal(service.error_state.version_info, badVersion);
      assert.equal(await adminStat(admin, 'cluster_manager.cds.update_rejected'), rejected + 1);
      assert.equal(pod(await curl(url('/'))), 'b');

      writeAtomically(file('cluster.yaml'), good);
      await waitFor(async () => (await acked('CDS')) && (await servedOf('CDS')) !== badVersion, 'CDS SYNCED again after restoring the cluster', { detail: syncDetail });
      assert.equal((await serviceNow()).error_state, undefined, 'error_state of cluster service after the accepted update');
    });

    it('5a. SIGKILL of the control plane under load: the proxy keeps serving, disconnected', async (t) => {
      await underLoad(t, async () => {
        xds!.proc.kill('SIGKILL');
        assert.equal(await xds!.proc.exited, 'SIGKILL');
        await waitFor(async () => (await adminStat(admin, 'control_plane.connected_state')) === 0, 'control_plane.connected_state 0');
      });
      const answer = await curl(url('/'));
      assert.equal(pod(answer), 'b');
      assert.equal(answer.headers.server, 'skein-v2');
      assert.equal(answer.headers['x-route-version'], 'v2');
      assert.equal((await fetch(`${admin}/ready`)).status, 200);
    });

    /**
     * After a reconnect the proxy already holds everything the folder gives (the same
     * hashes). SotW re-sends every type and the proxy ACKs each. Delta re-subscribes
     * with initial_resource_versions and gets one empty answer per type (nothing is
     * new), which it ACKs: every type shows SYNCED either way.
     */
    const resynced = async () => {
      const [entry, now] = await Promise.all([sync(), served(xds!.statusUrl)]);
      const ok = (['CDS', 'EDS', 'LDS', 'RDS'] as const).every((t) => entry.types[t]?.state === 'SYNCED' && entry.types[t]!.ackedVersion === now.versions[t]);
      return ok ? { entry, now } : undefined;
    };

    it('5b. the control plane restarted on the same port under load: the proxy reconnects and resyncs', async (t) => {
      const port = xds!.port;
      const clustersModified = await adminStat(admin, 'cluster_manager.cluster_modified');
      await underLoad(t, async () => {
        xds = await spawnXdsServer(resources, port);
        await waitFor(async () => (await adminStat(admin, 'control_plane.connected_state')) === 1, 'control_plane.connected_state 1', { timeoutMs: 60_000 });
        await waitFor(resynced, `${NODE} back in sync after the restart`, { detail: syncDetail });
      });
      assert.equal(xds!.port, port);
      const { entry, now } = (await resynced())!;
      // The counter restarts; the folder is the same, so is everything the proxy runs.
      assert.match(now.version, /^1-/);
      assert.equal(entry.protocol, variant.protocol);
      // SotW re-sends the cluster and the listener; delta sends neither (the proxy has them).
      const resent = variant.protocol === 'sotw' ? 1 : 0;
      for (const t of ['CDS', 'EDS', 'LDS', 'RDS'] as const) assert.equal(entry.types[t]!.sentResources, resent, `${t} resources re-sent`);
      // Nothing changed, so nothing was rebuilt: no cluster was added or modified.
      assert.equal(await adminStat(admin, 'cluster_manager.cluster_modified'), clustersModified);
      const answer = await curl(url('/'));
      assert.equal(pod(answer), 'b');
      assert.equal(answer.headers.server, 'skein-v2');
      assert.equal(answer.headers['x-route-version'], 'v2');
    });

    it('5c. after the reconnect, route and endpoint changes apply again under load, nothing fails', async (t) => {
      await underLoad(t, async () => {
        edit(file('route.yaml'), 'value: v2', 'value: v3');
        edit(file('endpoints.yaml'), `port_value: ${echo.b.port}`, `port_value: ${echo.a.port}`);
        await waitFor(async () => {
          const answer = await curl(url('/'));
          return answer.headers['x-route-version'] === 'v3' && pod(answer) === 'a';
        }, 'x-route-version: v3 from echo a', { detail: syncDetail });
      });
      const entry = await waitFor(async () => (await acked('RDS')) && (await acked('EDS')), 'RDS and EDS ACKed', { detail: syncDetail });
      assert.match(entry.types.RDS!.ackedVersion!, /^[23]-/);
      const route = dumpSection(await configDump(admin), 'RoutesConfigDump').dynamic_route_configs[0];
      assert.equal(route.version_info, entry.types.RDS!.ackedVersion);
      const ready = await fetch(`${admin}/ready`);
      assert.equal(ready.status, 200);
      assert.equal((await ready.text()).trim(), 'LIVE');
      const stats = await adminStats(admin);
      assert.equal(stats.get('control_plane.connected_state'), 1);
      assert.equal(stats.get('listener_manager.lds.update_rejected'), 1);
      assert.equal(stats.get('cluster_manager.cds.update_rejected'), 1);
    });
  });
}
