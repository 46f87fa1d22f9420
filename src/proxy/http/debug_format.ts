// Envoy's debug-log rendering of header maps: one `'name', 'value'` line per header,
// as in "[C2][S7] request headers complete (end_stream=true):".
import type { HeaderMap } from './header_map.js';

export function dumpHeaders(headers: HeaderMap): string {
  const lines: string[] = [];
  headers.forEach((name, value) => lines.push(`'${name}', '${value}'`));
  return lines.join('\n');
}

let nextStreamId = 1;

/** Stream ids for log correlation ([C<connection>][S<stream>]). */
export function newStreamId(): number {
  return nextStreamId++;
}
