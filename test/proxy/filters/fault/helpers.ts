// Shared setup for the fault filter tests: a counting upstream, a proxy with the fault
// filter in front of the router and a file access log of code, flags and details.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootstrapYaml, indent, routeAllTo, startProxy, staticCluster, type RunningProxy } from '../../../helpers/proxy.js';
import { waitFor } from '../../../helpers/wait.js';

export const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export interface Upstream {
  port: number;
  /** Requests that reached the upstream. */
  requests: number;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const up: Upstream = { port: 0, requests: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    up.requests++;
    req.resume();
    req.on('end', () => res.end('upstream ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as AddressInfo).port;
  up.close = () => new Promise((resolve) => server.close(() => resolve()));
  return up;
}

/** The fault filter (with `faultYaml` as its HTTPFault body) then the router. */
export function faultChain(faultYaml: string): string {
  return `- name: envoy.filters.http.fault
  typed_config:
    "@type": ${FAULT_TYPE}
${indent(faultYaml, 4)}
- name: envoy.filters.http.router`;
}

export interface FaultProxy {
  proxy: RunningProxy;
  url(path?: string): string;
  /** Access log lines ("<code> <flags> <details>" unless logFormat says otherwise); waits for `count` of them. */
  logLines(count: number): Promise<string[]>;
  stat(name: string): Promise<number>;
}

let logSeq = 0;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-fault-'));

export async function withFaultProxy(
  upstream: Upstream,
  opts: { fault: string; routeConfig?: string; logFormat?: string },
  fn: (p: FaultProxy) => Promise<void>,
): Promise<void> {
  const logFile = path.join(logDir, `access-${++logSeq}.log`);
  const hcmExtra = `access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "${opts.logFormat ?? '%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%'}\\n" } }`;
  const proxy = await startProxy(
    bootstrapYaml({
      routeConfig: opts.routeConfig ?? routeAllTo('upstream'),
      clusters: staticCluster('upstream', [upstream.port]),
      httpFilters: faultChain(opts.fault),
      hcmExtra,
    }),
  );
  const readLines = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);
  try {
    await fn({
      proxy,
      url: (p = '/') => proxy.url('main', p),
      logLines: (count) => waitFor(() => (readLines().length >= count ? readLines() : undefined), `${count} access log lines`, { detail: () => readLines().join('\n') }),
      stat: async (name) => {
        const text = await (await fetch(`${proxy.adminUrl}/stats?filter=^${name.replace(/\./g, '\\.')}$`)).text();
        const m = /: (-?\d+)$/m.exec(text);
        return m ? Number(m[1]) : 0;
      },
    });
  } finally {
    await proxy.stop();
  }
}

/** Status, body and how long the exchange took. */
export async function timedGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number }> {
  const start = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - start };
}

export async function setRuntime(proxy: RunningProxy, values: Record<string, string>): Promise<void> {
  const query = new URLSearchParams(values).toString();
  const res = await fetch(`${proxy.adminUrl}/runtime_modify?${query}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`runtime_modify: ${res.status} ${await res.text()}`);
}
