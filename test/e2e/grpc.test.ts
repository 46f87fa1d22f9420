// gRPC through the proxy with @grpc/grpc-js on both ends (a client and server we did
// not write): unary, server/client/bidi streaming, status and trailers, local replies
// as gRPC statuses, deadlines. The proxy runs as a real process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { spawnProxy, stopProcess } from '../helpers/process.js';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as Record<string, unknown>,
};
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/skein.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const SERVICE = {
  Unary: method('Unary', false, false),
  Fail: method('Fail', false, false),
  Slow: method('Slow', false, false),
  ServerStream: method('ServerStream', false, true),
  ClientStream: method('ClientStream', true, false),
  Bidi: method('Bidi', true, true),
};
const EchoClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
type Client = InstanceType<typeof EchoClient> & Record<string, (...args: any[]) => any>;

function proxyYaml(grpcPort: number, extraRoute = ''): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: grpc
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: grpc
          http_filters: [{ name: envoy.filters.http.router }]
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/skein.test.Echo/", grpc: {} }
                route: { cluster: echo${extraRoute} }
              - match: { prefix: "/skein.test.Nowhere/" }
                route: { cluster: empty }
  clusters:
  - name: echo
    connect_timeout: 1s
    type: STATIC
    http2_protocol_options: {}
    load_assignment:
      cluster_name: echo
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${grpcPort} } } } }] }]
  - name: empty
    connect_timeout: 1s
    type: STATIC
    http2_protocol_options: {}
    load_assignment: { cluster_name: empty }
`;
}

describe('gRPC through skein (@grpc/grpc-js client and server)', () => {
  let server: grpc.Server;
  let grpcPort = 0;
  let proxy: Awaited<ReturnType<typeof spawnProxy>>;
  let client: Client;

  before(async () => {
    server = new grpc.Server();
    server.addService(SERVICE, {
      Unary: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const md = new grpc.Metadata();
        md.set('x-served-by', 'grpc-js');
        call.sendMetadata(md);
        cb(null, { echo: call.request.text, authority: call.getPath() });
      },
      Fail: (_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        const trailer = new grpc.Metadata();
        trailer.set('x-reason', 'not-here');
        cb({ code: grpc.status.NOT_FOUND, details: 'no such item', metadata: trailer });
      },
      Slow: (_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => setTimeout(() => cb(null, { done: true }), 2000),
      ServerStream: (call: grpc.ServerWritableStream<any, any>) => {
        for (let i = 0; i < Number(call.request.count); i++) call.write({ i });
        call.end();
      },
      ClientStream: (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) => {
        const seen: unknown[] = [];
        call.on('data', (m: { text: string }) => seen.push(m.text));
        call.on('end', () => cb(null, { seen }));
      },
      Bidi: (call: grpc.ServerDuplexStream<any, any>) => {
        call.on('data', (m: { text: string }) => call.write({ reply: m.text.toUpperCase() }));
        call.on('end', () => call.end());
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    proxy = await spawnProxy(proxyYaml(grpcPort));
    const port = await proxy.listenerPort('grpc');
    client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
  });
  after(async () => {
    client?.close();
    await stopProcess(proxy?.proc);
    server?.forceShutdown();
  });

  const unary = (name: string, request: unknown, options: grpc.CallOptions = {}) =>
    new Promise<{ err: grpc.ServiceError | null; res: any; md?: grpc.Metadata }>((resolve) => {
      let md: grpc.Metadata | undefined;
      const call = client[name]!(request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: unknown) => resolve({ err, res, md }));
      call.on('metadata', (m: grpc.Metadata) => (md = m));
    });

  it('unary calls pass through with headers and the response', async () => {
    const { err, res, md } = await unary('Unary', { text: 'hello' });
    assert.equal(err, null);
    assert.deepEqual(res, { echo: 'hello', authority: '/skein.test.Echo/Unary' });
    assert.deepEqual(md?.get('x-served-by'), ['grpc-js']);
    const stats = await (await fetch(`${proxy.admin}/stats?filter=^cluster\\.echo\\.upstream_cx_http2_total$`)).text();
    assert.equal(stats, 'cluster.echo.upstream_cx_http2_total: 1\n');
  });

  it('status, message and trailing metadata arrive intact', async () => {
    const { err } = await unary('Fail', {});
    assert.equal(err?.code, grpc.status.NOT_FOUND);
    assert.equal(err?.details, 'no such item');
    assert.deepEqual(err?.metadata.get('x-reason'), ['not-here']);
  });

  it('server streaming', async () => {
    const call = client.ServerStream!({ count: 5 });
    const got: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (m: unknown) => got.push(m));
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((i) => ({ i })));
  });

  it('client streaming', async () => {
    const res = await new Promise<any>((resolve, reject) => {
      const call = client.ClientStream!((err: grpc.ServiceError | null, r: unknown) => (err ? reject(err) : resolve(r)));
      for (const text of ['a', 'b', 'c']) call.write({ text });
      call.end();
    });
    assert.deepEqual(res, { seen: ['a', 'b', 'c'] });
  });

  it('bidi streaming: replies come back while the client is still sending', async () => {
    const call = client.Bidi!();
    const replies: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: { reply: string }) => {
        replies.push(m.reply);
        if (replies.length === 1) call.write({ text: 'second' }); // sent only after the first reply arrived
        if (replies.length === 2) call.end();
      });
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    call.write({ text: 'first' });
    await done;
    assert.deepEqual(replies, ['FIRST', 'SECOND']);
  });

  it('a local reply is a gRPC status: no healthy upstream → UNAVAILABLE', async () => {
    const Nowhere = grpc.makeGenericClientConstructor({ Call: { ...SERVICE.Unary, path: '/skein.test.Nowhere/Call' } }, 'Nowhere');
    const port = await proxy.listenerPort('grpc');
    const other = new Nowhere(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) => other.Call!({}, (e: grpc.ServiceError) => resolve(e)));
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.equal(err.details, 'no healthy upstream');
    } finally {
      other.close();
    }
  });

  it('a client deadline shorter than the server\'s work ends the call with DEADLINE_EXCEEDED', async () => {
    const { err } = await unary('Slow', {}, { deadline: Date.now() + 300 });
    assert.equal(err?.code, grpc.status.DEADLINE_EXCEEDED);
  });
});
