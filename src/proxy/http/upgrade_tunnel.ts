// After a successful HTTP/1.1 Upgrade (101 Switching Protocols, e.g. WebSocket) the
// connection is no longer HTTP: the proxy writes the 101 head downstream and relays
// bytes both ways until either side closes, as Envoy's upgrade support does.
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { HeaderMap } from './header_map.js';

/** The 101 response head, keeping Connection/Upgrade (they are the point here). */
export function switchingProtocolsHead(headers: HeaderMap): string {
  let head = `HTTP/1.1 101 ${STATUS_CODES[101]}\r\n`;
  headers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58 || name === 'transfer-encoding' || name === 'content-length') return;
    head += `${name}: ${value}\r\n`;
  });
  return head + '\r\n';
}

export interface TunnelResult {
  bytesFromDownstream: number;
  bytesFromUpstream: number;
}

/** Relays until both directions are done; half-close is passed along. */
export function runTunnel(downstream: Duplex, upstream: Duplex, onDone: (r: TunnelResult) => void): void {
  const result: TunnelResult = { bytesFromDownstream: 0, bytesFromUpstream: 0 };
  let closed = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    downstream.destroy();
    upstream.destroy();
    onDone(result);
  };
  const relay = (from: Duplex, to: Duplex, count: (n: number) => void) => {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      to.end();
      if (++closed === 2) finish();
    });
    from.on('error', finish);
    from.on('close', () => setImmediate(finish));
  };
  relay(downstream, upstream, (n) => (result.bytesFromDownstream += n));
  relay(upstream, downstream, (n) => (result.bytesFromUpstream += n));
  downstream.resume();
  upstream.resume();
}
