// `skein proxy-status <proxy>`: does the proxy run what the control plane means it
// to run? Like istioctl, the dynamic clusters, listeners and routes of the proxy's
// /config_dump are compared with what the discovery server generated for it
// (/debug/config_dump?proxyID=), versions and timestamps left out, each set sorted by
// name. Equal sets print "Clusters Match" / "Listeners Match" / "Routes Match (RDS
// last loaded at ...)"; different ones print a unified diff of the two JSON texts
// ("--- Pilot ..." is the control plane's side, "+++ Envoy ..." the proxy's, as in
// istioctl).
import type { ConfigDump } from './config_dump.js';
import { list, obj, str, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { unifiedDiff } from './unified_diff.js';

interface Kind {
  label: 'Clusters' | 'Listeners' | 'Routes';
  section: string;
  list: string;
  /** Where the resource sits in each entry of the list. */
  resource: string[];
  /** The entry the comparison keeps for a resource (the dump's own shape, versions left out). */
  wrap: (resource: Json) => Json;
}

const KINDS: Kind[] = [
  { label: 'Clusters', section: 'ClustersConfigDump', list: 'dynamic_active_clusters', resource: ['cluster'], wrap: (r) => ({ cluster: r }) },
  { label: 'Listeners', section: 'ListenersConfigDump', list: 'dynamic_listeners', resource: ['active_state', 'listener'], wrap: (r) => ({ name: str(r, 'name'), active_state: { listener: r } }) },
  { label: 'Routes', section: 'RoutesConfigDump', list: 'dynamic_route_configs', resource: ['route_config'], wrap: (r) => ({ route_config: r }) },
];

const byName = (a: Json, b: Json) => {
  const x = str(a, 'name');
  const y = str(b, 'name');
  return x < y ? -1 : x > y ? 1 : 0;
};

/** One side's resources of a kind as comparable text (istioctl's 3-space JSON). */
function sideText(dump: ConfigDump, kind: Kind): string {
  // A missing section (nothing generated yet) compares as an empty one.
  const resources = list(dump.section(kind.section), kind.list)
    .map((e) => obj(e, ...kind.resource))
    .filter((r): r is Json => r !== undefined)
    .sort(byName);
  const body = camelCaseMessage(`envoy.admin.v3.${kind.section}`, { [kind.list]: resources.map(kind.wrap) });
  return JSON.stringify(body, null, 3);
}

/** When the proxy last accepted a route configuration over RDS (istioctl prints it after "Routes Match"). */
function lastRdsLoad(envoy: ConfigDump): string {
  const times = list(envoy.section('RoutesConfigDump'), 'dynamic_route_configs')
    .map((e) => Date.parse(str(e, 'last_updated')))
    .filter((t) => Number.isFinite(t));
  return times.length ? new Date(Math.max(...times)).toUTCString() : '';
}

export function compareConfigs(discovery: ConfigDump, envoy: ConfigDump): string {
  let out = '';
  for (const kind of KINDS) {
    const diff = unifiedDiff(sideText(discovery, kind), sideText(envoy, kind), `Pilot ${kind.label}`, `Envoy ${kind.label}`);
    if (diff) {
      out += `${diff}\n`;
    } else if (kind.label === 'Routes') {
      const at = lastRdsLoad(envoy);
      out += at ? `Routes Match (RDS last loaded at ${at})\n` : 'Routes Match\n';
    } else {
      out += `${kind.label} Match\n`;
    }
  }
  return out;
}
