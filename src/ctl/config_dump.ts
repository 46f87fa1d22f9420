// A proxy's /config_dump (Envoy's admin.v3.ConfigDump) cut into what the
// proxy-config tables read: the resources of each section, dynamic ones first and
// static ones after, as istioctl collects them. The same reader takes the discovery
// server's /debug/config_dump?proxyID= (same shape, dynamic sections only).
import { field, isObject, list, obj, str, type Json } from './fields.js';
import { CtlError } from './errors.js';

export const ADMIN_TYPE = 'type.googleapis.com/envoy.admin.v3.';

export class ConfigDump {
  constructor(readonly raw: Json) {}

  static parse(text: string, source: string): ConfigDump {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CtlError(`${source} did not return JSON: ${(err as Error).message}`);
    }
    if (!isObject(value) || !Array.isArray(field(value, 'configs'))) throw new CtlError(`${source} is not an Envoy config dump (no "configs" list)`);
    return new ConfigDump(value);
  }

  /** The section of a type (short name, e.g. "ListenersConfigDump"), if the dump has it. */
  section(shortType: string): Json | undefined {
    return list(this.raw, 'configs').find((c): c is Json => isObject(c) && c['@type'] === ADMIN_TYPE + shortType);
  }

  /** Like section(), but a missing section is an error worded as istioctl words it. */
  requireSection(shortType: string): Json {
    const s = this.section(shortType);
    if (!s) throw new CtlError(`config dump has no configuration type ${ADMIN_TYPE}${shortType}`);
    return s;
  }

  /** Active listeners: dynamic (active_state) first, then static. */
  listeners(): Json[] {
    const s = this.requireSection('ListenersConfigDump');
    const dynamic = list(s, 'dynamic_listeners').map((l) => obj(l, 'active_state', 'listener'));
    const statics = list(s, 'static_listeners').map((l) => obj(l, 'listener'));
    return [...dynamic, ...statics].filter((l): l is Json => l !== undefined);
  }

  /** Route configurations: dynamic (RDS) first, then static (inline ones included, as Envoy dumps them). */
  routeConfigs(): Json[] {
    const s = this.requireSection('RoutesConfigDump');
    const dynamic = list(s, 'dynamic_route_configs').map((r) => obj(r, 'route_config'));
    const statics = list(s, 'static_route_configs').map((r) => obj(r, 'route_config'));
    return [...dynamic, ...statics].filter((r): r is Json => r !== undefined);
  }

  /** Clusters: dynamic active first, then static (warming ones are not serving yet). */
  clusters(): Json[] {
    const s = this.requireSection('ClustersConfigDump');
    const dynamic = list(s, 'dynamic_active_clusters').map((c) => obj(c, 'cluster'));
    const statics = list(s, 'static_clusters').map((c) => obj(c, 'cluster'));
    return [...dynamic, ...statics].filter((c): c is Json => c !== undefined);
  }

  bootstrap(): Json {
    return this.requireSection('BootstrapConfigDump');
  }

  /** The node id the proxy reports in its bootstrap (empty when unknown). */
  nodeId(): string {
    return str(this.section('BootstrapConfigDump'), 'bootstrap', 'node', 'id');
  }
}
