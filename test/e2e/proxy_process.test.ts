// The proxy as a separate process driven by real clients (curl): access logs,
// --concurrency workers, graceful SIGTERM, /quitquitquit, component log levels.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, spawnProxy, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';

function proxyYaml(upstreamPort: number, extraHcm = ''): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: web
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
${extraHcm}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            name: local
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/nothing-here" }
                direct_response: { status: 404 }
              - match: { prefix: "/" }
                route: { cluster: httpbin }
  clusters:
  - name: httpbin
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: httpbin
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } }
`;
}

describe('skein proxy as a process', () => {
  let httpbin: SkeinProcess;
  let httpbinPort = 0;
  before(async () => {
    httpbin = spawnSkein(['httpbin', '--port', '0', '--host', '127.0.0.1']);
    httpbinPort = Number((await httpbin.waitFor(/listening on http:\/\/[^:]+:(\d+)/))[1]);
  });
  after(async () => {
    await stopProcess(httpbin);
  });

  it('serves curl, and writes access logs in Envoy\'s default and custom formats', async () => {
    const dir = tempDir();
    const defaultLog = path.join(dir, 'default.log');
    const customLog = path.join(dir, 'custom.log');
    const hcm = `          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${defaultLog}
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${customLog}
              log_format:
                text_format_source:
                  inline_string: "%RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_HOST% %REQ(:PATH)% %ROUTE_NAME%\\n"`;
    const { proc, listenerPort } = await spawnProxy(proxyYaml(httpbinPort, hcm));
    try {
      const port = await listenerPort('web');
      const curl = await run('curl', ['-s', '-i', '-A', 'skein-e2e', `http://127.0.0.1:${port}/headers`]);
      assert.equal(curl.code, 0, curl.stderr);
      assert.match(curl.stdout, /^HTTP\/1\.1 200 OK\r$/m);
      assert.match(curl.stdout, /^server: envoy\r$/m);
      assert.match(curl.stdout, /"X-Envoy-Expected-Rq-Timeout-Ms": \[\s*"15000"\s*\]/);
      const miss = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/nothing-here`]);
      assert.equal(miss.stdout, '404');
      await stopProcess(proc); // flushes the logs
      const lines = fs.readFileSync(defaultLog, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\] "GET /headers HTTP/1\\.1" 200 - 0 \\d+ \\d+ \\d+ "-" "skein-e2e" "[0-9a-f-]{36}" "127\\.0\\.0\\.1:${port}" "127\\.0\\.0\\.1:${httpbinPort}"$`));
      assert.deepEqual(fs.readFileSync(customLog, 'utf8').trimEnd().split('\n'), [`200 - 127.0.0.1:${httpbinPort} /headers -`, '404 - - /nothing-here -']);
    } finally {
      await stopProcess(proc);
    }
  });

  it('--concurrency 2: two workers share the listener and admin adds up their stats', async () => {
    const { proc, admin, listenerPort } = await spawnProxy(proxyYaml(httpbinPort), ['--concurrency', '2']);
    try {
      const port = await listenerPort('web');
      // Separate connections so both workers get some.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/get`, { headers: { connection: 'close' } });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const stats = await (await fetch(`${admin}/stats?filter=^(http.ingress_http.downstream_rq_total|cluster.httpbin.upstream_rq_200|server.concurrency)$`)).text();
      assert.equal(stats, 'cluster.httpbin.upstream_rq_200: 20\nhttp.ingress_http.downstream_rq_total: 20\nserver.concurrency: 2\n');
      const clusters = await (await fetch(`${admin}/clusters`)).text();
      assert.match(clusters, new RegExp(`^httpbin::127\\.0\\.0\\.1:${httpbinPort}::rq_total::20$`, 'm'));
    } finally {
      await stopProcess(proc);
    }
  });

  it('SIGTERM drains: the in-flight request completes, then the process exits 0', async () => {
    const { proc, listenerPort } = await spawnProxy(proxyYaml(httpbinPort));
    const port = await listenerPort('web');
    const slow = fetch(`http://127.0.0.1:${port}/delay/1`);
    await new Promise((r) => setTimeout(r, 200));
    proc.kill('SIGTERM');
    const res = await slow;
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(await proc.exited, 0);
    assert.match(proc.output(), /shutting down \(SIGTERM\)/);
  });

  it('POST /quitquitquit stops the server', async () => {
    const { proc, admin } = await spawnProxy(proxyYaml(httpbinPort));
    const res = await fetch(`${admin}/quitquitquit`, { method: 'POST' });
    assert.equal(await res.text(), 'OK\n');
    assert.equal(await proc.exited, 0);
  });

  it('--component-log-level turns on debug logs for one component only', async () => {
    const { proc, listenerPort } = await spawnProxy(proxyYaml(httpbinPort), ['--component-log-level', 'router:debug']);
    try {
      const port = await listenerPort('web');
      const res = await fetch(`http://127.0.0.1:${port}/status/503`);
      await res.arrayBuffer();
      await stopProcess(proc);
      const out = proc.output();
      assert.doesNotMatch(out, /\]\[debug\]\[(?!router)/);
      assert.match(out, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[\d+\]\[info\]\[main\] starting main dispatch loop$/m);
    } finally {
      await stopProcess(proc);
    }
  });
});
