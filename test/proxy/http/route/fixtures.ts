// Shared helpers for the route model tests: a RouteTable built from YAML exactly as the
// proxy reads it (proto3 JSON through Envoy's protos), and requests as header maps.
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { envoy } from '../../../../src/api/envoy-types.generated.js';
import { readMessageFromJson } from '../../../../src/api/json/from-json.js';
import { ConfigError } from '../../../../src/api/json/issues.js';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';
import { RouteTable } from '../../../../src/proxy/http/route/route_table.js';
import type { Route } from '../../../../src/proxy/http/route/route_entry.js';
import { Runtime } from '../../../../src/proxy/server/runtime.js';

export type RouteConfiguration = envoy.config.route.v3.RouteConfiguration;

export function routeConfig(yamlText: string): RouteConfiguration {
  return readMessageFromJson<RouteConfiguration>('envoy.config.route.v3.RouteConfiguration', parse(yamlText)).message;
}

export function table(yamlText: string, runtime = new Runtime()): RouteTable {
  return new RouteTable(routeConfig(yamlText), { runtime });
}

/** A table with one catch-all virtual host holding `routes` (YAML list items). */
export function routesTable(routesYaml: string, runtime = new Runtime()): RouteTable {
  const indented = routesYaml
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return table(`virtual_hosts:\n- name: vh\n  domains: ["*"]\n  routes:\n${indented}`, runtime);
}

export function request(authority: string, path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): HeaderMap {
  const map = HeaderMap.from({ ':method': method, ':scheme': 'http', ':authority': authority, ':path': path });
  for (const [k, v] of Object.entries(headers)) for (const item of Array.isArray(v) ? v : [v]) map.add(k.toLowerCase(), item);
  return map;
}

/** The name of the route `path` (plus headers) selects, or null when nothing matches. */
export function pick(t: RouteTable, path: string, headers: Record<string, string | string[]> = {}, random?: number): string | null {
  const r: Route | null = t.route(request('example.com', path, headers), random);
  return r ? r.name : null;
}

/** Asserts that building the config fails with a ConfigError whose text matches. */
export function assertRejected(build: () => unknown, message: RegExp): ConfigError {
  let caught: unknown;
  try {
    build();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.match(caught.message, message);
  return caught;
}
