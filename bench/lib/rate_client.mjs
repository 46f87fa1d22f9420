#!/usr/bin/env node
// Constant-rate (open-loop) HTTP/1.1 load generator with per-request timing, for
// "added latency at a fixed 1000 req/s". wrk cannot hold a rate, and autocannon
// records latency in whole milliseconds, too coarse for a proxy hop measured in
// tens of microseconds. Run as its own process (so run.mjs can pin it):
//
//   node rate_client.mjs --port P [--rate 1000] [--duration 10] [--warmup 2] [--connections 8] [--timeout 2]
//
// prints one JSON line: { rate, sent, ok, errors, timeouts, queued, connectFailures,
// peerCloses, p50, p90, p99, p999, max, mean } (µs).
// A response not complete after --timeout seconds is an error; its connection is
// closed and replaced, so a stuck proxy shows up as timeouts, not as silence (an
// earlier version without this reported a stalled proxy as 10,000 silently queued
// errors). connectFailures (refused/reset before connecting: the proxy is gone)
// and peerCloses (the proxy closed a connection) say why the rest failed.
//
// How: a 1 ms timer sends every request whose slot has come (a timer, not a
// busy loop, so the client does not eat the CPU it shares with the upstream). A
// request's latency runs from the moment the client tried to send it, so if no
// keep-alive connection is free (the proxy stalled) the wait counts against the
// proxy (no coordinated omission); timer jitter does not, because it delays the
// attempt itself. Connections are used round-robin.
//
// The response parser handles exactly what the benchmark upstream produces
// through a proxy: a status line, headers, and a Content-Length or chunked body.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '2' },
  },
});
const rate = Number(o.rate);
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nUser-Agent: skein-bench-rate\r\nAccept: */*\r\n\r\n`);
const now = () => process.hrtime.bigint();

const samples = []; // µs, measured requests only
let sent = 0;
let ok = 0;
let errors = 0;
let queued = 0;
let timeouts = 0;
let connectFailures = 0;
let peerCloses = 0;
const conns = new Set();
let measuring = false;
const waiting = []; // dispatch times of requests with no free connection
const idle = [];

function connect() {
  const c = { sock: net.connect(Number(o.port), o.host), buf: '', t0: 0n, inFlight: false };
  conns.add(c);
  c.sock.setNoDelay(true);
  c.sock.setEncoding('latin1');
  c.sock.on('connect', () => {
    c.connected = true;
    release(c);
  });
  c.sock.on('data', (d) => {
    c.buf += d;
    if (c.inFlight && complete(c.buf)) {
      const status = c.buf.slice(9, 12);
      c.buf = '';
      finish(c, status === '200');
    }
  });
  const lost = () => {
    if (!c.connected) connectFailures++;
    else if (!c.expired && !stopped) peerCloses++;
    conns.delete(c);
    if (c.inFlight) finish(c, false, true);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    if (!stopped) setTimeout(connect, 10);
  };
  c.sock.on('error', () => {});
  c.sock.on('close', lost);
}

/** Is buf one whole response? */
function complete(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.slice(0, end).toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) return buf.length >= end + 4 + Number(cl[1]);
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) return buf.endsWith('\r\n0\r\n\r\n');
  return true; // no body (e.g. 204/304)
}

function finish(c, good, dead = false) {
  const us = Number(now() - c.t0) / 1000;
  c.inFlight = false;
  if (c.measured) {
    if (good) {
      ok++;
      samples.push(us);
    } else errors++;
  }
  if (!dead) release(c);
}

function release(c) {
  if (waiting.length) return send(c, waiting.shift());
  idle.push(c);
}

function send(c, dispatch) {
  c.inFlight = true;
  c.t0 = dispatch.t;
  c.measured = dispatch.measured;
  c.sock.write(REQUEST);
}

function dispatch() {
  const d = { t: now(), measured: measuring };
  if (measuring) sent++;
  const c = idle.shift();
  if (c) send(c, d);
  else {
    if (measuring) queued++;
    waiting.push(d);
  }
}

let stopped = false;
for (let i = 0; i < Number(o.connections); i++) connect();
await new Promise((r) => setTimeout(r, 200)); // let the connections open

const timeoutNs = BigInt(Math.round(Number(o.timeout) * 1e9));
function expire() {
  const t = now();
  for (const c of conns) {
    if (c.inFlight && t - c.t0 > timeoutNs) {
      if (c.measured) timeouts++;
      c.expired = true;
      finish(c, false, true); // counted as an error; the close handler reconnects
      c.sock.destroy();
    }
  }
}

const interval = 1e9 / rate;
const start = Number(now());
const measureFrom = start + Number(o.warmup) * 1e9;
const end = measureFrom + Number(o.duration) * 1e9;
let slot = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const t = Number(now());
    measuring = t >= measureFrom;
    while (start + slot * interval <= t && start + slot * interval < end) {
      dispatch();
      slot++;
    }
    expire(); // 8 connections: cheap enough to check every tick
    if (t >= end) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
// Give the last requests up to 2 s to finish; whatever is still out is an error.
const drainUntil = Date.now() + 2000;
const outstanding = () => waiting.length + (Number(o.connections) - idle.length);
while (outstanding() > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
stopped = true;
errors += sent - ok - errors > 0 ? sent - ok - errors : 0;

samples.sort((a, b) => a - b);
const pct = (p) => (samples.length ? Math.round(samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]) : null);
const mean = samples.length ? Math.round(samples.reduce((a, b) => a + b, 0) / samples.length) : null;
process.stdout.write(
  JSON.stringify({
    rate: Math.round(ok / Number(o.duration)),
    sent, ok, errors, timeouts, queued, connectFailures, peerCloses,
    p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: samples.length ? Math.round(samples.at(-1)) : null, mean,
  }) + '\n',
);
process.exit(0);
