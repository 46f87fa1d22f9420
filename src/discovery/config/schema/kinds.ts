// The kinds the config store reads: which apiVersions each is accepted under, whether
// it is namespaced, the schema of its document body, and how the body becomes
// ConfigObject.spec (Istio kinds and Service/Deployment keep their `spec`; Endpoints,
// EndpointSlice and Secret have no `spec`, so their top-level fields become it).
import type { Kind } from '../../../api/istio/types.js';
import { positionOf, recordPosition } from '../positions.js';
import { any, looseMap, req, type Schema } from './engine.js';
import { destinationRuleSpec, gatewaySpec, virtualServiceSpec } from './istio_networking.js';
import { peerAuthenticationSpec, serviceEntrySpec, sidecarSpec, workloadEntrySpec } from './istio_services.js';
import { deploymentSpec, endpointSliceBody, endpointsBody, secretBody, serviceAccountBody, serviceSpec } from './kubernetes.js';

export interface KindInfo {
  kind: Kind;
  /** API group ('' for the core group, written `apiVersion: v1`). */
  group: string;
  versions: readonly string[];
  namespaced: boolean;
  /** Top-level fields besides apiVersion, kind, metadata and status. */
  body: Record<string, Schema>;
  toSpec(doc: Record<string, unknown>): unknown;
}

const ISTIO_NETWORKING = ['v1alpha3', 'v1beta1', 'v1'];

function withSpec(kind: Kind, group: string, versions: readonly string[], spec: Schema, required = true): KindInfo {
  return {
    kind,
    group,
    versions,
    namespaced: true,
    body: { spec: required ? req(spec) : spec },
    toSpec: (doc) => doc.spec ?? {},
  };
}

/** The fields of a body-only kind (Endpoints, EndpointSlice) as its spec, positions kept. */
function bodyAsSpec(doc: Record<string, unknown>, fields: readonly string[], defaults: Record<string, unknown>): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const f of fields) {
    const v = doc[f] ?? defaults[f];
    if (v === undefined) continue;
    spec[f] = v;
    recordPosition(spec, f, positionOf(doc, f));
  }
  return spec;
}

/** `data` (already decoded) with `stringData` merged over it, as the API server stores a Secret. */
function secretSpec(doc: Record<string, unknown>): unknown {
  const data: Record<string, Buffer> = { ...((doc.data as Record<string, Buffer> | undefined) ?? {}) };
  for (const [k, v] of Object.entries((doc.stringData as Record<string, string> | undefined) ?? {})) data[k] = Buffer.from(v, 'utf8');
  const spec: { type?: string; data: Record<string, Buffer> } = { data };
  if (typeof doc.type === 'string') spec.type = doc.type;
  return spec;
}

const empty = (): Record<string, never> => ({});

export const KINDS: readonly KindInfo[] = [
  withSpec('Gateway', 'networking.istio.io', ISTIO_NETWORKING, gatewaySpec),
  withSpec('VirtualService', 'networking.istio.io', ISTIO_NETWORKING, virtualServiceSpec),
  withSpec('DestinationRule', 'networking.istio.io', ISTIO_NETWORKING, destinationRuleSpec),
  withSpec('ServiceEntry', 'networking.istio.io', ISTIO_NETWORKING, serviceEntrySpec),
  withSpec('WorkloadEntry', 'networking.istio.io', ISTIO_NETWORKING, workloadEntrySpec),
  withSpec('Sidecar', 'networking.istio.io', ISTIO_NETWORKING, sidecarSpec),
  withSpec('PeerAuthentication', 'security.istio.io', ['v1beta1', 'v1'], peerAuthenticationSpec, false),
  withSpec('Service', '', ['v1'], serviceSpec),
  withSpec('Deployment', 'apps', ['v1'], deploymentSpec),
  { kind: 'Namespace', group: '', versions: ['v1'], namespaced: false, body: { spec: looseMap() }, toSpec: empty },
  { kind: 'Node', group: '', versions: ['v1'], namespaced: false, body: { spec: looseMap() }, toSpec: empty },
  { kind: 'ServiceAccount', group: '', versions: ['v1'], namespaced: true, body: serviceAccountBody, toSpec: empty },
  { kind: 'Secret', group: '', versions: ['v1'], namespaced: true, body: secretBody, toSpec: secretSpec },
  {
    kind: 'Endpoints',
    group: '',
    versions: ['v1'],
    namespaced: true,
    body: endpointsBody,
    toSpec: (doc) => bodyAsSpec(doc, ['subsets'], { subsets: [] }),
  },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    versions: ['v1'],
    namespaced: true,
    body: endpointSliceBody,
    toSpec: (doc) => bodyAsSpec(doc, ['addressType', 'endpoints', 'ports'], { endpoints: [] }),
  },
];

/** Groups skein reads some kinds of; a kind it does not know there is still only a warning. */
export const KNOWN_GROUPS = new Set(KINDS.map((k) => k.group));

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionsOf(info: KindInfo): string[] {
  return info.versions.map((v) => (info.group ? `${info.group}/${v}` : v));
}

export type KindLookup =
  | { found: KindInfo }
  /** Known kind and group, but not this version. */
  | { badVersion: KindInfo }
  /** A kind skein reads, written with another group (`apiVersion: v1` + `kind: Gateway`). */
  | { wrongGroup: KindInfo }
  | { unsupported: true };

export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const { group, version } = splitApiVersion(apiVersion);
  const sameKind = KINDS.filter((k) => k.kind === kind);
  const info = sameKind.find((k) => k.group === group);
  if (info) return info.versions.includes(version) ? { found: info } : { badVersion: info };
  // A group skein does not read at all (gateway.networking.k8s.io, telemetry.istio.io, ...)
  // is a feature not built yet; a known group with a kind that lives elsewhere is a typo.
  if (sameKind.length && KNOWN_GROUPS.has(group)) return { wrongGroup: sameKind[0]! };
  return { unsupported: true };
}

/** The document schema fields every kind shares. */
export const COMMON_DOCUMENT_FIELDS = { status: any() };
