// `proxy-config bootstrap`: the proxy's bootstrap as its BootstrapConfigDump
// ({"bootstrap": ..., "lastUpdated": ...}), JSON by default as istioctl prints it;
// `-o short` prints the versions only, as newer istioctl's summary does.
import type { ConfigDump } from './config_dump.js';
import { str, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { formatTable, LISTENER_PADDING } from './table.js';

export function bootstrapJson(dump: ConfigDump): unknown {
  const { '@type': _t, ...rest } = dump.bootstrap();
  return camelCaseMessage('envoy.admin.v3.BootstrapConfigDump', rest);
}

function buildVersion(node: Json | undefined): string {
  const v = (node?.user_agent_build_version ?? node?.userAgentBuildVersion) as Json | undefined;
  if (!v) return str(node, 'user_agent_version');
  const version = `${str(v, 'version', 'major_number') || '0'}.${str(v, 'version', 'minor_number') || '0'}.${str(v, 'version', 'patch') || '0'}`;
  const label = str(v, 'metadata', 'build.label');
  return label ? `${version}-${label}` : version;
}

export function formatBootstrapSummary(dump: ConfigDump): string {
  const node = (dump.bootstrap().bootstrap as Json | undefined)?.node as Json | undefined;
  const rows: string[][] = [];
  const istio = str(node, 'metadata', 'ISTIO_VERSION');
  if (istio) rows.push(['Istio Version:', istio]);
  const envoy = buildVersion(node);
  if (envoy) rows.push([`${str(node, 'user_agent_name') || 'Envoy'} Version:`, envoy]);
  if (str(node, 'id')) rows.push(['Node:', str(node, 'id')]);
  return rows.length ? formatTable(rows, LISTENER_PADDING) : 'No version information in the bootstrap.\n';
}
