// Closed-loop throughput with wrk (C, epoll): it needs far less CPU per request
// than any Node client, which matters because it shares a core with the upstream.
import { runToEnd } from './procs.mjs';

const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
const ms = (text) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]] : null;
};

/** Parse `wrk --latency` output into { rps, p50, p75, p90, p99 (ms), requests, errors }. */
export function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? ms(m[1]) : null;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** wrk -t1 against http://127.0.0.1:port/, or `url` (https:// for the TLS row). */
export async function wrk({ port, url, connections, seconds, cpus }) {
  const out = await runToEnd(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', url ?? `http://127.0.0.1:${port}/`],
    { cpus },
  );
  return parseWrk(out);
}
