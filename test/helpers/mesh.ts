// Shared pieces of the `skein mesh up` end-to-end tests: the coolstore names they
// assert on, `skein mesh status` rows, and a proxy's counters read from its admin API
// (every local-mesh proxy serves admin on <pod IP>:15000).
import assert from 'node:assert/strict';
import { skeinBin } from './paths.js';
import { run } from './process.js';

export const COOLSTORE_HOST_HEADER = 'Host: webapp.istioinaction.io';
export const CATALOG_CLUSTER = 'outbound|80||catalog.istioinaction.svc.cluster.local';
export const WEBAPP_CLUSTER = 'outbound|80||webapp.istioinaction.svc.cluster.local';

export interface PodRow {
  namespace: string;
  name: string;
  deployment: string;
  ready: string;
  status: string;
  ip: string;
}

/** Runs bin/skein with these arguments and collects its output. */
export const skein = (...args: string[]) => run(process.execPath, [skeinBin, ...args]);

/** `skein mesh status -o json`, against the mesh whose control port is given (default 15080). */
export async function meshPods(controlPort?: string): Promise<PodRow[]> {
  const r = await skein('mesh', 'status', '-o', 'json', ...(controlPort ? ['--control-port', controlPort] : []));
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { pods: PodRow[] }).pods;
}

/** A proxy's counter from its admin /stats (0 when absent). */
export async function proxyCounter(podIp: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${podIp}:15000/stats`)).text();
  for (const line of text.split('\n')) {
    const sep = line.lastIndexOf(': ');
    if (sep > 0 && line.slice(0, sep) === name) return Number(line.slice(sep + 2));
  }
  return 0;
}
