// The CLI against the real control plane: `bin/skein discovery --config
// examples/coolstore` (the seeds' Gateway and VirtualService) with two real proxies
// connected as Istio's would be (the ingress gateway and a webapp sidecar, listeners
// bound to their pod IPs with --pod-ip, admin on POD_IP:15000). proxy-status reads the
// discovery server's /debug/syncz (its ISTIOD identity included), proxy-config finds
// the proxies by their istioctl names, and `proxy-status <proxy>` compares what the
// proxy runs with what the discovery server generated for it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, skeinBin } from '../helpers/paths.js';
import { run, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { bootstrapYaml, freePodNet, type ProxySpec } from './mesh_fixture.js';

const GW = 'deploy/istio-ingressgateway.istio-system';
const cells = (line: string) => line.trimEnd().split(/\s{2,}/);

let discovery: SkeinProcess | undefined;
const proxies: SkeinProcess[] = [];
let debugAddress = '';
let dir = '';
let webappAdmin = '';

const skein = (...args: string[]) => run(process.execPath, [skeinBin, ...args, '--discovery-address', debugAddress]);

async function ok(...args: string[]): Promise<string> {
  const r = await skein(...args);
  assert.equal(r.code, 0, `skein ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('skein proxy-status / proxy-config against skein discovery', () => {
  before(async () => {
    dir = tempDir('skein-ctl-discovery-');
    discovery = spawnSkein(['discovery', '--config', path.join(repoRoot, 'examples', 'coolstore'), '--port', '0', '--address', '127.0.0.1', '--debug-port', '0']);
    const xdsPort = Number((await discovery.waitFor(/discovery server listening on 127\.0\.0\.1:(\d+)/))[1]);
    debugAddress = (await discovery.waitFor(/discovery debug listening on http:\/\/(\S+?)[\s/]/))[1]!;
    const net = await freePodNet(220, 240);
    const meta = (ns: string, workload: string, labels: Record<string, string>, ip: string) => ({
      ISTIO_VERSION: '1.17.8', CLUSTER_ID: 'Kubernetes', NAMESPACE: ns, WORKLOAD_NAME: workload, LABELS: labels, INSTANCE_IPS: ip,
    });
    const specs: ProxySpec[] = [
      {
        nodeId: `router~${net}.1~istio-ingressgateway-6bb8fb6549-hcdnc.istio-system~istio-system.svc.cluster.local`,
        nodeCluster: 'istio-ingressgateway.istio-system',
        metadata: meta('istio-system', 'istio-ingressgateway', { app: 'istio-ingressgateway', istio: 'ingressgateway' }, `${net}.1`),
        adminIp: `${net}.1`,
      },
      {
        nodeId: `sidecar~${net}.3~webapp-7b8c9d6f4-abcde.istioinaction~istioinaction.svc.cluster.local`,
        nodeCluster: 'webapp.istioinaction',
        metadata: meta('istioinaction', 'webapp', { app: 'webapp' }, `${net}.3`),
        adminIp: `${net}.3`,
      },
    ];
    for (const [i, spec] of specs.entries()) {
      const config = path.join(dir, `proxy-${i}.yaml`);
      fs.writeFileSync(config, bootstrapYaml(spec, xdsPort));
      const p = spawnSkein(['proxy', '-c', config, '--pod-ip', spec.adminIp, '--drain-time-s', '0']);
      proxies.push(p);
      await p.waitFor(/starting main dispatch loop/);
    }
    webappAdmin = `${net}.3:15000`;
    await waitFor(
      async () => {
        const r = await skein('proxy-status');
        const rows = r.stdout.trimEnd().split('\n').slice(1).map(cells);
        return rows.length === 2 && rows.every((c) => c.slice(2, 6).every((s) => s === 'SYNCED'));
      },
      'both proxies SYNCED in skein proxy-status',
      { detail: async () => (await skein('proxy-status')).stdout },
    );
  });
  after(async () => {
    await Promise.all(proxies.map((p) => stopProcess(p)));
    await stopProcess(discovery);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('proxy-status: both proxies SYNCED, named POD.NS, with the discovery server identity in ISTIOD', async () => {
    const lines = (await ok('proxy-status')).trimEnd().split('\n');
    assert.deepEqual(cells(lines[0]!), ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']);
    const rows = lines.slice(1).map(cells);
    assert.deepEqual(rows.map((c) => c.slice(0, 7)), [
      ['istio-ingressgateway-6bb8fb6549-hcdnc.istio-system', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT'],
      ['webapp-7b8c9d6f4-abcde.istioinaction', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT'],
    ]);
    for (const c of rows) {
      assert.match(c[7]!, /^istiod-[0-9a-f]+$/);
      assert.equal(c[8], '1.17.8');
    }
  });

  it("proxy-config route deploy/istio-ingressgateway.istio-system shows the seed's VirtualService row", async () => {
    const rows = (await ok('proxy-config', 'route', GW)).trimEnd().split('\n').map(cells);
    assert.deepEqual(rows[0], ['NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']);
    const vs = rows.find((c) => c[1] === 'webapp.istioinaction.io');
    assert.ok(vs, rows.join('\n'));
    assert.match(vs[0]!, /^http\.\d+$/);
    assert.deepEqual(vs.slice(2), ['/*', 'webapp-vs-from-gw.istioinaction']);
    const listeners = await ok('proxy-config', 'listener', GW);
    assert.match(listeners, new RegExp(`^0\\.0\\.0\\.0 \\d+ +ALL +Route: ${vs[0]!.replace('.', '\\.')}$`, 'm'));
  });

  it('proxy-config cluster deploy/webapp -n istioinaction lists the outbound services', async () => {
    const rows = (await ok('proxy-config', 'cluster', 'deploy/webapp', '-n', 'istioinaction')).trimEnd().split('\n').map(cells);
    assert.ok(rows.some((c) => c.join('|') === 'catalog.istioinaction.svc.cluster.local|80|-|outbound|EDS'), rows.join('\n'));
  });

  it('proxy-status <proxy>: what the proxy runs matches what discovery generated for it', async () => {
    const out = await ok('proxy-status', GW);
    assert.match(out, /^Clusters Match\nListeners Match\nRoutes Match \(RDS last loaded at \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\)\n$/);
  });

  it("proxy-status <proxy> with another proxy's config prints istioctl's unified diffs", async () => {
    const out = await ok('proxy-status', GW, '--admin-address', webappAdmin);
    // The sidecar has the gateway's clusters too, but other listeners: a diff of the camelCase JSON.
    assert.match(out, /^Clusters Match\n--- Pilot Listeners\n\+\+\+ Envoy Listeners\n@@ -\d+(,\d+)? \+\d+(,\d+)? @@\n/);
    assert.match(out, /^- +"name": "0\.0\.0\.0_80",$/m);
    assert.match(out, /^ +"portValue": 80$/m);
  });
});
