// Analyzer messages as istioctl analyze prints them, with Istio's codes and wording
// (pkg/config/analysis/msg/messages.yaml) so that users can look them up on istio.io:
//
//   Error [IST0101] (VirtualService istioinaction/webapp-vs-from-gw coolstore/vs.yaml:9) Referenced gateway not found: "coolstore-gateway"
import type { ConfigObject, SourceRef } from '../../../api/istio/types.js';
import { describeResource } from '../issues.js';
import { locate } from '../positions.js';

export type Level = 'Error' | 'Warning' | 'Info';

export interface AnalysisMessage {
  level: Level;
  /** "IST0101". */
  code: string;
  /** Istio's name of the message type, e.g. "ReferencedResourceNotFound". */
  type: string;
  resource?: { kind: string; namespace: string; name: string };
  source?: SourceRef;
  message: string;
}

interface MessageType {
  code: string;
  type: string;
  level: Level;
}

export const MESSAGE_TYPES = {
  ReferencedResourceNotFound: { code: 'IST0101', type: 'ReferencedResourceNotFound', level: 'Error' },
  SchemaValidationError: { code: 'IST0106', type: 'SchemaValidationError', level: 'Error' },
  ConflictingMeshGatewayVirtualServiceHosts: { code: 'IST0109', type: 'ConflictingMeshGatewayVirtualServiceHosts', level: 'Error' },
  VirtualServiceDestinationPortSelectorRequired: { code: 'IST0112', type: 'VirtualServiceDestinationPortSelectorRequired', level: 'Error' },
  VirtualServiceHostNotFoundInGateway: { code: 'IST0132', type: 'VirtualServiceHostNotFoundInGateway', level: 'Warning' },
  SchemaWarning: { code: 'IST0133', type: 'SchemaWarning', level: 'Warning' },
  DestinationRuleSubsetNotSelectPods: { code: 'IST0173', type: 'DestinationRuleSubsetNotSelectPods', level: 'Error' },
  UnknownDestinationRuleHost: { code: 'IST0174', type: 'UnknownDestinationRuleHost', level: 'Warning' },
} as const satisfies Record<string, MessageType>;

/** A message about `obj`, located at the field `path` (its line), else at the object. */
export function messageFor(type: MessageType, obj: ConfigObject, path: readonly (string | number)[], message: string): AnalysisMessage {
  return {
    level: type.level,
    code: type.code,
    type: type.type,
    resource: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
    source: locate(obj, path),
    message,
  };
}

export function formatAnalysisMessage(m: AnalysisMessage): string {
  const parts: string[] = [];
  if (m.resource) parts.push(describeResource(m.resource.kind, m.resource.namespace, m.resource.name));
  if (m.source) parts.push(`${m.source.file}:${m.source.line}`);
  const where = parts.length ? ` (${parts.join(' ')})` : '';
  return `${m.level} [${m.code}]${where} ${m.message}`;
}

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

/** Errors first, then by file, line and code; exact repeats removed. */
export function sortMessages(messages: readonly AnalysisMessage[]): AnalysisMessage[] {
  const seen = new Set<string>();
  const unique = messages.filter((m) => {
    const key = formatAnalysisMessage(m);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return unique.sort(
    (a, b) =>
      LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
      cmp(a.source?.file ?? '', b.source?.file ?? '') ||
      (a.source?.line ?? 0) - (b.source?.line ?? 0) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}
