// Cross-resource references of a folder's resources, with the file:line of the field
// that makes each one, so "listener refers to a route no file defines" points at the
// `route_config_name` line rather than at the folder.
import { fieldSpanOf } from '../../../api/json/spans.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, referencesOf, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, type XdsTypeUrl } from '../../../api/xds/resource_types.js';
import type { SourceSpan } from '../../../api/yaml/source.js';
import type { FileResource } from './parse.js';

export interface Reference {
  typeUrl: XdsTypeUrl;
  name: string;
  /** Field path of the referring field, from the resource's file document. */
  path: string;
  span: SourceSpan;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object';

/**
 * What `resource` needs from other resources. Uses the protocol's own table
 * (referencesOf) and adds a listener's `api_listener`: proxyless gRPC clients read
 * their HttpConnectionManager (and its RDS name) from there.
 */
export function referencesWithSpans(resource: FileResource): Reference[] {
  const { typeUrl, message } = resource;
  if (typeUrl !== LISTENER_TYPE && typeUrl !== CLUSTER_TYPE) return [];
  const refs = referencesOf(typeUrl, message);
  if (typeUrl === LISTENER_TYPE) {
    const api = (message.api_listener as Obj | undefined)?.api_listener;
    if (isObj(api)) {
      const viaApi = referencesOf(LISTENER_TYPE, { filter_chains: [{ filters: [{ typed_config: api }] }] });
      refs.routes = [...new Set([...refs.routes, ...viaApi.routes])];
    }
  }
  const out: Reference[] = [];
  const add = (type: XdsTypeUrl, name: string, where: Located | undefined) =>
    out.push({ typeUrl: type, name, path: join(resource.path, where?.path ?? ''), span: where?.span ?? resource.span });
  for (const name of refs.routes) add(ROUTE_TYPE, name, locate(message, (_c, key, v) => key === 'route_config_name' && v === name));
  for (const name of refs.endpoints) {
    const where = locate(message, (c, key, v) => key === 'service_name' && v === name && c !== message) ?? locate(message, (c, key) => c === message && key === 'type');
    add(ENDPOINT_TYPE, name, where);
  }
  for (const name of refs.secrets) add(SECRET_TYPE, name, locate(message, (c, key, v) => key === 'name' && v === name && 'sds_config' in c));
  return out;
}

/** "listener "x" refers to RDS resource "y"" — the words consistencyErrors() uses. */
export function describeReference(resource: FileResource, ref: Reference): string {
  const owner = resource.typeUrl === LISTENER_TYPE ? 'listener' : 'cluster';
  return `${owner} "${resource.name}" refers to ${SHORT_NAME[ref.typeUrl]} resource "${ref.name}"`;
}

interface Located {
  path: string;
  span?: SourceSpan;
}

/** Depth-first search for the first field matching `pred`; its path and line. */
function locate(root: Obj, pred: (container: Obj, key: string, value: unknown) => boolean): Located | undefined {
  const walk = (node: unknown, path: string): Located | undefined => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = walk(node[i], `${path}[${i}]`);
        if (found) return found;
      }
      return undefined;
    }
    if (!isObj(node) || Buffer.isBuffer(node)) return undefined;
    for (const [key, value] of Object.entries(node)) {
      const here = path ? `${path}.${key}` : key;
      if (pred(node, key, value)) return { path: here, span: fieldSpanOf(node, key) };
      const found = walk(value, here);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root, '');
}

const join = (prefix: string, path: string) => (prefix && path ? `${prefix}.${path}` : prefix || path);
