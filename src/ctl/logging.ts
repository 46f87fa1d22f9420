// `proxy-config log`: read or change a proxy's log levels through its admin
// /logging, as istioctl does. `--level debug` sets every logger; `--level
// http:debug,upstream:info` (or `http=debug`) sets those loggers; `--reset` sets every
// logger back to warning (Istio's default proxy level). Logger names are checked
// against the proxy's own list first, so a typo is an error instead of a silent no-op.
// The output is the proxy's answer: "active loggers:" and one "  name: level" per logger.
import { CtlError } from './errors.js';
import { adminPeer, request, type Peer } from './http.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;

/** What `--level` / `--reset` ask for: every logger's level and/or per-logger levels. */
export interface LevelChange {
  all?: string;
  loggers: Array<[string, string]>;
}

const DEFAULT_LEVEL = 'warning';

function checkLevel(level: string): string {
  const l = level === 'warn' ? 'warning' : level;
  if (!(LOG_LEVELS as readonly string[]).includes(l)) throw new CtlError(`unrecognized logging level: ${level} (one of ${LOG_LEVELS.join(', ')})`);
  return l;
}

export function parseLevelFlag(level: string | undefined, reset: boolean): LevelChange {
  if (reset && level) throw new CtlError('--level cannot be combined with --reset');
  if (reset) return { all: DEFAULT_LEVEL, loggers: [] };
  const change: LevelChange = { loggers: [] };
  for (const part of (level ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:=]+)[:=](.*)$/.exec(part);
    if (!m) change.all = checkLevel(part);
    else change.loggers.push([m[1]!.trim(), checkLevel(m[2]!.trim())]);
  }
  return change;
}

/** Logger names from the "active loggers:" listing. */
export function loggerNames(listing: string): string[] {
  return [...listing.matchAll(/^\s+([^:\s]+):\s*\S+\s*$/gm)].map((m) => m[1]!);
}

async function post(peer: Peer, query: string): Promise<string> {
  const a = await request(peer, `/logging${query ? `?${query}` : ''}`, 'POST');
  if (a.status !== 200) throw new CtlError(`${peer.what} at ${peer.address} refused POST /logging${query ? `?${query}` : ''} (${a.status}): ${a.text.trim().split('\n')[0] ?? ''}`);
  return a.text;
}

/** Applies `change` (if any) and returns the proxy's listing of its loggers afterwards. */
export async function setLogLevels(adminAddress: string, proxyName: string | undefined, change: LevelChange): Promise<string> {
  const peer = adminPeer(adminAddress, proxyName);
  let listing = await post(peer, '');
  if (change.loggers.length) {
    const known = new Set(loggerNames(listing));
    const unknown = change.loggers.filter(([name]) => !known.has(name)).map(([name]) => name);
    if (unknown.length) throw new CtlError(`unrecognized logger name: ${unknown.join(', ')} (the proxy has: ${[...known].join(', ')})`);
  }
  if (change.all) listing = await post(peer, `level=${change.all}`);
  for (const [name, level] of change.loggers) listing = await post(peer, `${encodeURIComponent(name)}=${level}`);
  return listing;
}
