// Reading a proxy's admin API (Envoy's, which skein's matches): /config_dump for
// listeners, routes, clusters, secrets and the bootstrap, /clusters?format=json for
// endpoints and their health. Or the same JSON saved to a file (`--file`), the way
// istioctl reads `curl localhost:15000/config_dump > envoy-config.json`.
import fs from 'node:fs';
import { ConfigDump } from './config_dump.js';
import { CtlError } from './errors.js';
import { isObject, type Json } from './fields.js';
import { adminPeer, getOk, parseJson } from './http.js';

/** Where the proxy's JSON comes from: a live admin API or a saved file. */
export type AdminSource = { adminAddress: string; proxyName?: string } | { file: string };

function readFile(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CtlError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

export async function fetchConfigDump(source: AdminSource, includeEds = false): Promise<ConfigDump> {
  if ('file' in source) return ConfigDump.parse(readFile(source.file), source.file);
  const peer = adminPeer(source.adminAddress, source.proxyName);
  const text = await getOk(peer, `/config_dump${includeEds ? '?include_eds' : ''}`);
  return ConfigDump.parse(text, `/config_dump of ${source.proxyName ?? source.adminAddress}`);
}

/** The raw /config_dump text (for `all -o json`, printed as the proxy wrote it). */
export async function fetchConfigDumpText(source: AdminSource): Promise<string> {
  if ('file' in source) return readFile(source.file);
  return getOk(adminPeer(source.adminAddress, source.proxyName), '/config_dump');
}

export async function fetchClusterStatuses(source: AdminSource): Promise<Json> {
  const text = 'file' in source ? readFile(source.file) : await getOk(adminPeer(source.adminAddress, source.proxyName), '/clusters?format=json');
  const what = 'file' in source ? source.file : `/clusters?format=json of ${source.proxyName ?? source.adminAddress}`;
  const body = parseJson(text, what);
  if (!isObject(body)) throw new CtlError(`${what} is not the JSON of Envoy's /clusters?format=json`);
  return body;
}
