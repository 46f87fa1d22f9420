// `skein xds serve` driven by an xDS client we did not write: @grpc/grpc-js-xds, the
// gRPC team's proxyless client, resolves `xds:///echo.test` through LDS (an API
// listener) → RDS → CDS → EDS from a real `bin/skein xds serve` process reading a temp
// folder, and calls a real @grpc/grpc-js server. Rewriting the endpoints file moves
// the calls to a second server without the client doing anything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as Record<string, unknown>,
};
const SERVICE = {
  Who: {
    path: '/skein.test.Echo/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo');

const T = 'type.googleapis.com/envoy';
const TARGET = 'echo.test';

/** The folder: written once, then endpoints.yaml is rewritten. */
const RESOURCES = {
  'listener.yaml': `
"@type": ${T}.config.listener.v3.Listener
name: ${TARGET}
api_listener:
  api_listener:
    "@type": ${T}.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
    stat_prefix: echo
    rds:
      route_config_name: echo_route
      config_source: { ads: {}, resource_api_version: V3 }
    http_filters:
    - name: router
      typed_config: { "@type": ${T}.extensions.filters.http.router.v3.Router }
`,
  'routes/route.yaml': `
resources:
- "@type": ${T}.config.route.v3.RouteConfiguration
  name: echo_route
  virtual_hosts:
  - name: echo
    domains: ["${TARGET}"]
    routes:
    - match: { prefix: "" }
      route: { cluster: echo }
`,
  'cluster.json': JSON.stringify({
    '@type': `${T}.config.cluster.v3.Cluster`,
    name: 'echo',
    type: 'EDS',
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  }),
};

// gRPC ignores localities without a weight, so every locality carries one.
const endpoints = (port: number) => `
"@type": ${T}.config.endpoint.v3.ClusterLoadAssignment
cluster_name: echo
endpoints:
- locality: { region: local, zone: a }
  load_balancing_weight: 1
  lb_endpoints:
  - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } }
`;

async function startEchoServer(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(SERVICE, {
    Who: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(null, { server: name }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

describe('skein xds serve with a proxyless gRPC client (@grpc/grpc-js-xds)', () => {
  let dir: string;
  let xds: SkeinProcess;
  let statusUrl: string;
  let client: InstanceType<typeof EchoClient> & Record<string, (...args: any[]) => any>;
  const servers: grpc.Server[] = [];
  const ports: number[] = [];

  const who = (): Promise<string> =>
    new Promise((resolve, reject) =>
      client.Who({}, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: { server: string }) => (err ? reject(err) : resolve(res.server))),
    );

  before(async () => {
    for (const name of ['one', 'two']) {
      const s = await startEchoServer(name);
      servers.push(s.server);
      ports.push(s.port);
    }
    dir = tempDir('skein-xds-interop-');
    for (const [rel, text] of Object.entries({ ...RESOURCES, 'endpoints.yaml': endpoints(ports[0]!) })) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    xds = spawnSkein(['xds', 'serve', '--dir', dir, '--port', '0', '--address', '127.0.0.1', '--status-port', '0']);
    const xdsPort = Number((await xds.waitFor(/xds server listening on 127\.0\.0\.1:(\d+)/))[1]);
    statusUrl = (await xds.waitFor(/xds status listening on (http:\/\/\S+)\/debug\/syncz/))[1]!;

    // grpc-js-xds reads its bootstrap when the first xds: channel is made.
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'grpc-interop-client', cluster: 'interop', locality: {} },
    });
    grpcXds.register();
    client = new EchoClient(`xds:///${TARGET}`, grpc.credentials.createInsecure()) as typeof client;
  });

  after(async () => {
    client?.close();
    await stopProcess(xds);
    for (const s of servers) s.forceShutdown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves LDS → RDS → CDS → EDS and the call reaches the endpoint', async () => {
    assert.equal(await who(), 'one');
    assert.match(xds.output(), /serving version 1-[0-9a-f]{8} from .* \(4 files\): CDS 1, EDS 1, LDS 1, RDS 1, SDS 0/);
  });

  it('reports the client as connected and synced on /debug/syncz', async () => {
    const status = await waitUntil(async () => {
      const entries = (await (await fetch(`${statusUrl}/debug/syncz`)).json()) as Array<{ nodeId: string; types: Record<string, { state: string }> }>;
      const entry = entries.find((e) => e.nodeId === 'grpc-interop-client');
      return entry && ['LDS', 'RDS', 'CDS', 'EDS'].every((t) => entry.types[t]?.state === 'SYNCED') ? entry : undefined;
    });
    assert.equal(status.nodeId, 'grpc-interop-client');
  });

  it('moves calls to the new endpoint when endpoints.yaml changes', async () => {
    fs.writeFileSync(path.join(dir, 'endpoints.yaml'), endpoints(ports[1]!));
    await xds.waitFor(/serving version 2-[0-9a-f]{8}/);
    const answer = await waitUntil(async () => ((await who()) === 'two' ? 'two' : undefined));
    assert.equal(answer, 'two');
    // Every later call goes there too: the old endpoint is gone from EDS.
    for (let i = 0; i < 5; i++) assert.equal(await who(), 'two');
  });

  it('keeps serving the last good endpoints when the file breaks, and says where', async () => {
    fs.writeFileSync(path.join(dir, 'endpoints.yaml'), endpoints(ports[1]!).replace('load_balancing_weight: 1', 'load_balancing_weight: -1'));
    const line = await xds.waitFor(/rejected (\S+endpoints\.yaml): keeping its last good version \(1 resource\)\n.*\n?.*endpoints\.yaml:6: endpoints\[0\]\.load_balancing_weight: ([^\n]+)/);
    assert.match(line[2]!, /non-negative/);
    assert.equal(await who(), 'two');
    const snapshot = (await (await fetch(`${statusUrl}/debug/snapshot`)).json()) as { version: string; files: Array<{ file: string; state: string; issues: string[] }> };
    assert.match(snapshot.version, /^2-/);
    assert.equal(snapshot.files.find((f) => f.file.endsWith('endpoints.yaml'))!.state, 'rejected');
  });

  it('shows the client\'s NACK of a resource Envoy accepts but gRPC does not', async () => {
    // A locality-less assignment is fine for Envoy; gRPC insists on localities.
    const noLocality = endpoints(ports[0]!).replace(/- locality: \{[^}]*\}\n {2}load_balancing_weight: 1\n {2}/, '- ');
    fs.writeFileSync(path.join(dir, 'endpoints.yaml'), noLocality);
    await xds.waitFor(/serving version 3-[0-9a-f]{8}/);
    const nack = await waitUntil(async () => {
      const entries = (await (await fetch(`${statusUrl}/debug/syncz`)).json()) as Array<{ nodeId: string; types: Record<string, { state: string; lastNack?: { message: string; version: string } }> }>;
      return entries.find((e) => e.nodeId === 'grpc-interop-client')?.types.EDS?.lastNack;
    });
    assert.match(nack.message, /locality unset/);
    assert.match(nack.version, /^3-/);
    // The client keeps its last good endpoints, as Envoy would.
    assert.equal(await who(), 'two');
  });
});

describe('skein xds serve: command line', () => {
  it('exits 2 on usage errors and 1 for a folder that is not there', async () => {
    const usage = spawnSkein(['xds', 'serve']);
    assert.equal(await usage.exited, 2);
    assert.match(usage.output(), /--dir DIR is required/);
    const missing = spawnSkein(['xds', 'serve', '--dir', '/nonexistent/skein-xds']);
    assert.equal(await missing.exited, 1);
    assert.match(missing.output(), /--dir \/nonexistent\/skein-xds is not a directory/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const dir = tempDir('skein-xds-cli-');
    const proc = spawnSkein(['xds', 'serve', '--dir', dir, '--port', '0', '--address', '127.0.0.1']);
    try {
      await proc.waitFor(/xds server listening on/);
      proc.kill('SIGTERM');
      assert.equal(await proc.exited, 0);
    } finally {
      await stopProcess(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
