// /config_dump: the running config in Envoy's admin.v3.ConfigDump shape, printed
// with proto field names. Supports ?resource=, ?mask=, ?name_regex= and ?include_eds.
import protobuf from 'protobufjs';
import { messageToJson } from '../../api/json/to-json.js';
import { findMessageType } from '../../api/proto/root.js';
import { compileRe2 } from '../common/regex.js';
import { buildDumps } from './config_dump_sections.js';
import { json, text, type AdminHandler } from './handlers.js';

const T = 'type.googleapis.com/';

/** Keeps only the dotted `paths` of a message (protobuf FieldMask semantics). */
function applyMask(value: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  // A packed message (Any) keeps its type so it can still be printed.
  const out: Record<string, unknown> = '@type' in value ? { '@type': value['@type'] } : {};
  for (const path of paths) {
    const [head, ...rest] = path;
    if (!head || !(head in value)) continue;
    const v = value[head];
    if (!rest.length || v === null || typeof v !== 'object' || Array.isArray(v)) out[head] = v;
    else out[head] = { ...((out[head] as object) ?? {}), ...applyMask(v as Record<string, unknown>, [rest]) };
  }
  return out;
}

function resourceName(item: Record<string, unknown>): string {
  for (const key of ['cluster', 'listener', 'route_config', 'endpoint_config']) {
    const inner = item[key] as { name?: string; cluster_name?: string } | undefined;
    if (inner) return inner.name ?? inner.cluster_name ?? '';
  }
  return (item.name as string | undefined) ?? '';
}

function render(type: string, message: Record<string, unknown>): unknown {
  return { '@type': T + type, ...(messageToJson(type, message) as object) };
}

export const CONFIG_DUMP_HANDLERS: AdminHandler[] = [
  {
    path: '/config_dump',
    help: 'dump current Envoy configs (experimental)',
    mutates: false,
    handle(req) {
      const q = req.query;
      const dumps = buildDumps(req.server, q.has('include_eds'));
      const mask = q.get('mask')?.split(',').filter(Boolean).map((p) => p.split('.'));
      let nameRe: RegExp | undefined;
      if (q.get('name_regex')) {
        try {
          nameRe = compileRe2(q.get('name_regex')!, true);
        } catch (err) {
          return text(`invalid name_regex: ${(err as Error).message}\n`, 400);
        }
      }
      const resource = q.get('resource');
      if (resource) {
        for (const dump of dumps) {
          const type = findMessageType(dump.type)!;
          const field = type.fields[resource];
          if (!field?.repeated || !(field.resolvedType instanceof protobuf.Type)) continue;
          const itemType = field.resolvedType.fullName.slice(1);
          const items = ((dump.message[resource] as Array<Record<string, unknown>> | undefined) ?? [])
            .filter((item) => !nameRe || nameRe.test(resourceName(item)))
            .map((item) => render(itemType, mask ? applyMask(item, mask) : item));
          return json({ configs: items });
        }
        return text(`${resource} not found in config dump\n`, 404);
      }
      return json({ configs: dumps.map((d) => render(d.type, mask ? applyMask(d.message, mask) : d.message)) });
    },
  },
];
