// `skein analyze`, run as a user runs it: the real executable on fixture folders,
// checking the exact lines, streams and exit code (istioctl analyze's format).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot, skeinBin } from '../helpers/paths.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function analyze(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [skeinBin, 'analyze', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const F = 'test/fixtures/analyze';
const found = (paths: string) =>
  `Error: Analyzers found issues when analyzing ${paths}.\n` + 'See https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.\n';
const lines = (...l: string[]) => l.join('\n') + '\n';

describe('skein analyze', { concurrency: 4 }, () => {
  it("finds nothing wrong with seed 003's coolstore (Gateway, VirtualService, webapp and catalog)", async () => {
    assert.deepEqual(await analyze(`${F}/coolstore`), { code: 0, stdout: `✔ No validation issues found when analyzing ${F}/coolstore.\n`, stderr: '' });
  });

  it('reports broken references the way istioctl analyze does, and exits 1', async () => {
    const M = `${F}/mistakes`;
    assert.deepEqual(await analyze(M), {
      code: 1,
      stdout: lines(
        `Error [IST0173] (DestinationRule istioinaction/webapp ${M}/destinationrules.yaml:12) The Subset v3 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
        `Error [IST0101] (Gateway istioinaction/echo-tcp-gateway ${M}/gateways.yaml:21) Referenced selector not found: "istio=my-user-gateway"`,
        `Error [IST0109] (VirtualService istioinaction/webapp-vs-from-gw ${M}/virtualservices.yaml:8) The VirtualServices istioinaction/webapp-vs-from-gw,istioinaction/webapp-vs-copy associated with gateway istioinaction/coolstore-gateway define the same host webapp.istioinaction.io which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        `Error [IST0101] (VirtualService istioinaction/webapp-vs-from-gw ${M}/virtualservices.yaml:15) Referenced host+subset in destinationrule not found: "webapp+v2"`,
        `Error [IST0109] (VirtualService istioinaction/webapp-vs-copy ${M}/virtualservices.yaml:26) The VirtualServices istioinaction/webapp-vs-from-gw,istioinaction/webapp-vs-copy associated with gateway istioinaction/coolstore-gateway define the same host webapp.istioinaction.io which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        `Error [IST0101] (VirtualService istioinaction/webapp-vs-copy ${M}/virtualservices.yaml:35) Referenced host:port not found: "webapp.istioinaction.svc.cluster.local:81"`,
        `Error [IST0101] (VirtualService istioinaction/catalog-vs-from-gw ${M}/virtualservices.yaml:46) Referenced gateway not found: "coolstore-gatway"`,
        `Error [IST0112] (VirtualService istioinaction/catalog-vs-from-gw ${M}/virtualservices.yaml:53) This VirtualService routes to a service "catalog" that exposes multiple ports [80 8081]. Specifying a port in the destination is required to disambiguate.`,
        `Error [IST0101] (VirtualService istioinaction/catalog-vs-from-gw ${M}/virtualservices.yaml:56) Referenced host not found: "catalogue"`,
        `Warning [IST0174] (DestinationRule istioinaction/forum ${M}/destinationrules.yaml:22) The host forum defined in the DestinationRule does not match any services in the mesh.`,
        `Warning [IST0132] (VirtualService istioinaction/webapp-vs-copy ${M}/virtualservices.yaml:29) one or more host [api.istioinaction.io] defined in VirtualService istioinaction/webapp-vs-copy not found in Gateway istioinaction/coolstore-gateway.`,
      ),
      stderr: found(M),
    });
  });

  it('reports schema errors with file:line and field path, duplicates, invalid YAML and unsupported kinds', async () => {
    const S = `${F}/schema`;
    assert.deepEqual(await analyze(S), {
      code: 1,
      stdout: lines(
        `Error [IST0106] (Gateway istioinaction/coolstore-gateway ${S}/a-gateway.yaml:7) Schema validation error: spec.servers: missing required field`,
        `Error [IST0106] (Gateway istioinaction/coolstore-gateway ${S}/a-gateway.yaml:10) Schema validation error: spec.severs: unknown field (did you mean "servers"?)`,
        `Error [IST0106] (Gateway istioinaction/echo-gateway ${S}/a-gateway.yaml:27) Schema validation error: spec.servers[0].port.number: missing required field`,
        `Error [IST0106] (VirtualService istioinaction/webapp-vs-from-gw ${S}/b-routes.yaml:13) Schema validation error: spec.http[0].route[0].destination.host: missing required field`,
        `Error [IST0106] (VirtualService istioinaction/webapp-vs-from-gw ${S}/b-routes.yaml:14) Schema validation error: spec.http[0].route[0].destination.hostt: unknown field (did you mean "host"?)`,
        `Error [IST0106] (DestinationRule istioinaction/webapp-lb ${S}/b-routes.yaml:25) Schema validation error: spec.trafficPolicy.loadBalancer.simple: unknown value "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?); expected one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST`,
        `Error [IST0106] (DestinationRule istioinaction/catalog ${S}/c-duplicate.yaml:12) Schema validation error: already defined at ${S}/b-routes.yaml:27; this definition is skipped`,
        `Error [IST0106] (${S}/d-not-yaml.yaml:5) Schema validation error: invalid YAML: All mapping items must start at the same column`,
        `Warning [IST0133] (HTTPRoute istioinaction/webapp ${S}/b-routes.yaml:36) Schema validation warning: gateway.networking.k8s.io/v1 HTTPRoute is not supported yet, skipped`,
      ),
      stderr: found(S),
    });
  });

  it('prints warnings but exits 0 when nothing is an error', async () => {
    const W = `${F}/warnings-only`;
    assert.deepEqual(await analyze(W), {
      code: 0,
      stdout: lines(
        `Warning [IST0133] (Telemetry istio-system/ingress-gateway ${W}/telemetry.yaml:3) Schema validation warning: telemetry.istio.io/v1alpha1 Telemetry is not supported yet, skipped`,
        `Warning [IST0174] (DestinationRule istioinaction/forum ${W}/telemetry.yaml:22) The host forum defined in the DestinationRule does not match any services in the mesh.`,
        `Warning [IST0133] (DestinationRule istioinaction/forum ${W}/telemetry.yaml:24) Schema validation warning: spec.trafficPolicy.tunnel: not supported by skein yet; ignored`,
      ),
      stderr: '',
    });
  });

  it("assumes skein mesh up's default ingress gateway only when the folder has none of its own", async () => {
    const G = `${F}/own-gateway`;
    assert.deepEqual(await analyze(G), {
      code: 1,
      stdout: lines(`Error [IST0101] (Gateway istio-system/by-app-label ${G}/gateway.yaml:38) Referenced selector not found: "app=istio-ingressgateway"`),
      stderr: found(G),
    });
  });

  it('analyzes single files, reports missing paths, and can leave the default gateway out', async () => {
    const gw = `${F}/coolstore/coolstore-gw.yaml`;
    assert.deepEqual(await analyze('--no-default-gateway', gw, 'test/fixtures/analyze/nope'), {
      code: 1,
      stdout: lines(`Error [IST0101] (Gateway istioinaction/coolstore-gateway ${gw}:7) Referenced selector not found: "istio=ingressgateway"`),
      stderr: 'Error: test/fixtures/analyze/nope: no such file or directory\n' + found(`${gw} test/fixtures/analyze/nope`),
    });
  });

  it('writes JSON with -o json', async () => {
    const run = await analyze('-o', 'json', `${F}/own-gateway`);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { messages: { level: string; code: string; resource: { name: string }; source: { line: number } }[] };
    assert.deepEqual(
      report.messages.map((m) => [m.level, m.code, m.resource.name, m.source.line]),
      [['Error', 'IST0101', 'by-app-label', 38]],
    );
  });

  it('explains itself with --help, and rejects a call without paths', async () => {
    const help = await analyze('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: skein analyze \[options\] DIR\|FILE \.\.\./);
    const none = await analyze();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^skein analyze: nothing to analyze: give one or more folders or files\n/);
  });
});
