// HTTP/2 throughput with h2load (nghttp2, C): like wrk for HTTP/1.1, it costs far
// less CPU per request than any Node client, which matters because it shares the
// load CPU with the upstream. h2load prints no latency percentiles, only
// min/max/mean, so it writes one line per request (--log-file: start, status,
// duration in µs) and the percentiles are computed from that.
import fs from 'node:fs';
import path from 'node:path';
import { runToEnd } from './procs.mjs';

/** Parse h2load's summary into { rps, requests, succeeded, failed, errored, timeout, non2xx (3xx-5xx), protocol, tls }. */
export function parseH2load(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const tls = /TLS Protocol: (\S+)\s+Cipher: (\S+)/.exec(out);
  return {
    rps: num(/finished in [\d.]+\w+, ([\d.]+) req\/s/),
    requests: req ? Number(req[1]) : 0,
    succeeded: req ? Number(req[4]) : 0,
    failed: req ? Number(req[5]) : 0,
    errored: req ? Number(req[6]) : 0,
    timeout: req ? Number(req[7]) : 0,
    non2xx: codes ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : 0,
    protocol: /Application protocol: (\S+)/.exec(out)?.[1] ?? null,
    tls: tls ? `${tls[1]} ${tls[2]}` : null,
  };
}

/** p50/p99 (ms) of the durations (µs, third column) in an h2load --log-file. */
export function logPercentiles(file) {
  const us = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split('\t')[2]))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const pct = (p) => (us.length ? us[Math.min(us.length - 1, Math.floor((p / 100) * us.length))] / 1000 : null);
  return { p50: pct(50), p99: pct(99), logged: us.length };
}

/**
 * h2load -t1 over `connections` connections × `streams` concurrent streams each,
 * for `seconds` after `warmup` s (warm-up requests are neither counted nor logged).
 * http:// URLs are h2c with prior knowledge; https:// negotiates h2 by ALPN.
 */
export async function h2load({ url, connections, streams, seconds, warmup, cpus, scratch }) {
  const log = path.join(scratch, `h2load-${process.hrtime.bigint()}.log`);
  try {
    const out = await runToEnd(
      'h2load',
      ['-t1', `-c${connections}`, `-m${streams}`, `-D${seconds}`, ...(warmup ? [`--warm-up-time=${warmup}`] : []), `--log-file=${log}`, url],
      { cpus },
    );
    const r = parseH2load(out);
    // h2load exits 0 even when nothing got through; an unexpected protocol would
    // mean we measured HTTP/1.1 or nothing at all.
    if (r.protocol !== (url.startsWith('https:') ? 'h2' : 'h2c')) r.failed = r.failed || r.requests || 1;
    const { p50, p99 } = fs.existsSync(log) ? logPercentiles(log) : {};
    // `failed` includes errored and timed-out streams.
    return { ...r, p50: p50 ?? null, p99: p99 ?? null, errors: r.failed + r.non2xx };
  } finally {
    fs.rmSync(log, { force: true });
  }
}
