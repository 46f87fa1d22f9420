// Readers for a proxy's admin API (Envoy's paths): /stats as numbers, /config_dump
// as JSON, /listeners ports.

/** Every counter and gauge of /stats (histogram lines are skipped). */
export async function adminStats(admin: string): Promise<Map<string, number>> {
  const res = await fetch(`${admin}/stats`);
  if (res.status !== 200) throw new Error(`${admin}/stats: ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\S+): (-?\d+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** One stat; absent stats read as 0 (Envoy creates most of them lazily). */
export async function adminStat(admin: string, name: string): Promise<number> {
  return (await adminStats(admin)).get(name) ?? 0;
}

export interface ConfigDump {
  configs: Array<Record<string, any> & { '@type': string }>;
}

export async function configDump(admin: string, resource?: string): Promise<ConfigDump> {
  const res = await fetch(`${admin}/config_dump${resource ? `?resource=${encodeURIComponent(resource)}` : ''}`);
  if (res.status !== 200) throw new Error(`${admin}/config_dump: ${res.status} ${await res.text()}`);
  return (await res.json()) as ConfigDump;
}

/** The section of a config dump with the given type (short name, e.g. "ListenersConfigDump"). */
export function dumpSection(dump: ConfigDump, shortType: string): Record<string, any> {
  const section = dump.configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${shortType}`);
  if (!section) throw new Error(`no ${shortType} in config_dump: ${dump.configs.map((c) => c['@type']).join(', ')}`);
  return section;
}

/** The bound port of a listener, from /listeners (`name::address:port`). */
export async function adminListenerPort(admin: string, name: string): Promise<number> {
  const text = await (await fetch(`${admin}/listeners`)).text();
  const m = new RegExp(`^${name}::.*:(\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`listener ${name} not in /listeners:\n${text}`);
  return Number(m[1]);
}
