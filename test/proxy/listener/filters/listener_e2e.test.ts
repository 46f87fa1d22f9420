// Listener filters in a real proxy: the http_inspector's verdict picks the filter chain
// (application_protocols), the request bytes it read still reach the HCM, and the
// listener's listener_filters_timeout closes or continues as configured.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import '../../../../src/proxy/listener/filters/index.js';
import { startProxy, type RunningProxy } from '../../../helpers/proxy.js';

const run = promisify(execFile);
const curlMissing = await run('curl', ['--version']).then(
  () => false,
  () => true,
);

function hcm(body: string): string {
  return `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${body.replace(/\W/g, '_')}
          http_protocol_options: { accept_http_10: true }
          http_filters: [{ name: envoy.filters.http.router }]
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "${body}" } } }]`;
}

function listener(name: string, extra: string): string {
  return `
  - name: ${name}
    stat_prefix: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
${extra}
    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
    - name: envoy.filters.listener.http_inspector
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector }
    filter_chains:
    - name: http11
      filter_chain_match: { application_protocols: ["http/1.1"] }
      filters:${hcm(`${name}: http/1.1 chain`)}
    default_filter_chain:
      filters:${hcm(`${name}: default chain`)}`;
}

const YAML = `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:${listener('main', '')}${listener('strict', '    listener_filters_timeout: 0.2s')}${listener(
  'lenient',
  '    listener_filters_timeout: 0.2s\n    continue_on_listener_filters_timeout: true',
)}
`;

async function stat(proxy: RunningProxy, name: string): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`)).text();
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

/** Opens a raw connection; resolves with everything received once the proxy closes it. */
function rawClient(port: number): { socket: net.Socket; received: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const received = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', () => {});
  });
  return { socket, received };
}

describe('listener filters in a real proxy', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy(YAML);
  });
  after(async () => {
    await proxy.stop();
  });

  it('curl over HTTP/1.1 lands on the application_protocols [http/1.1] chain, HTTP/1.0 on the default', { skip: curlMissing && 'curl not installed' }, async () => {
    const url = proxy.url('main', '/hello');
    const h11 = await run('curl', ['-s', '--http1.1', url]);
    assert.equal(h11.stdout, 'main: http/1.1 chain');
    const h10 = await run('curl', ['-s', '--http1.0', url]);
    assert.equal(h10.stdout, 'main: default chain');
    const post = await run('curl', ['-s', '--http1.1', '--data-binary', 'x'.repeat(50_000), url]);
    assert.equal(post.stdout, 'main: http/1.1 chain');
  });

  it('a keep-alive client (fetch) keeps using its chain; inspector stats are at the root', async () => {
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(proxy.url('main', `/n${i}`))).text(), 'main: http/1.1 chain');
    assert.ok((await stat(proxy, 'http_inspector.http11_found')) >= 1);
    assert.ok((await stat(proxy, 'tls_inspector.tls_not_found')) >= 1);
    assert.equal(await stat(proxy, 'tls_inspector.tls_found'), 0);
  });

  it('plaintext that is not HTTP goes to the default chain (whose HCM answers 400)', async () => {
    const { socket, received } = rawClient(proxy.port('main'));
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    assert.match(await received, /^HTTP\/1\.1 400 /);
    assert.ok((await stat(proxy, 'http_inspector.http_not_found')) >= 1);
  });

  it('listener_filters_timeout closes a silent connection and counts downstream_pre_cx_timeout', async () => {
    const { received } = rawClient(proxy.port('strict'));
    assert.equal(await received, '');
    assert.equal(await stat(proxy, 'listener.strict.downstream_pre_cx_timeout'), 1);
    assert.equal(await stat(proxy, 'listener.strict.downstream_pre_cx_active'), 0);
  });

  it('continue_on_listener_filters_timeout: goes on to the default chain, keeping the bytes already read', async () => {
    const { socket, received } = rawClient(proxy.port('lenient'));
    socket.write('GE');
    await until(async () => (await stat(proxy, 'listener.lenient.downstream_pre_cx_timeout')) === 1);
    assert.equal(await stat(proxy, 'listener.lenient.downstream_pre_cx_timeout'), 1);
    socket.write('T /late HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const response = await received;
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.ok(response.endsWith('lenient: default chain'), response);
  });
});
