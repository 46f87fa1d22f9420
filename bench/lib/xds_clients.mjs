// A child process of bench/xds.mjs holding many simulated proxies: each one is a
// real gRPC ADS stream on its own HTTP/2 connection that behaves like Envoy's ADS
// client at startup (wildcard CDS and LDS, then EDS for the EDS clusters received and
// RDS for the routes the listeners name, set_node_on_first_message_only) and ACKs
// every response. It records, per proxy, when it received and ACKed each version
// of each type, and answers the parent over IPC:
//   {id, op: 'connect', port, protocol: 'sotw'|'delta', from, to, nodes?, exact?}
//       opens proxies [from, to); replies once every one is synced (CDS, EDS, LDS,
//       RDS all ACKed at least once) with each proxy's sync time. `nodes` (one per
//       proxy) replaces the default node {id: bench-proxy-I}; `exact` turns off the
//       shared caches below, for proxies that get different resources at one version
//   {id, op: 'await', version, typeUrl?, timeoutMs}
//       replies once every proxy has ACKed `version` of typeUrl (default EDS), with
//       receive/ACK times
//   {id, op: 'close'}  closes every stream and replies
// Times are epoch milliseconds with sub-millisecond resolution (all processes run on
// this machine's clock).
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, edsNamesOf, loadWire, routeNamesOf } from './xds_wire.mjs';

const wire = await loadWire();
const { ADS_SERVICE, serviceDefinition } = wire.services;
const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(ADS_SERVICE), ADS_SERVICE.name);
const now = () => performance.timeOrigin + performance.now();

// ---- caches shared by every proxy of this process (same snapshot, same answers) ----
// Valid when every proxy gets the same resources at one version (bench/xds.mjs);
// `exact` (bench/control_plane.mjs: each sidecar its own listeners) turns them off.
let exact = false;

const sotwCdsCache = new Map(); // CDS version -> EDS names
const sotwLdsCache = new Map(); // LDS version -> route names
const deltaClusterCache = new Map(); // name \0 version -> EDS name | ''
const deltaListenerCache = new Map(); // name \0 version -> route names
const ackBases = new Map(); // type \0 names -> encoded {type_url, resource_names}

function sotwAckBase(typeUrl, names) {
  const key = `${typeUrl}\u0000${names.join('\n')}`;
  let base = ackBases.get(key);
  if (!base) ackBases.set(key, (base = wire.encodeSotw({ type_url: typeUrl, resource_names: names })));
  return base;
}

/** A SotW request with names: a shared encoded prefix plus version and nonce (protobuf merges concatenations). */
function sotwRequest(typeUrl, names, version, nonce) {
  const tail = wire.encodeSotw({ version_info: version, response_nonce: nonce });
  return Buffer.concat([sotwAckBase(typeUrl, names), tail]);
}

const unpackAll = (resources) => resources.map((any) => wire.unpackAny(any));

// ---- one simulated proxy -------------------------------------------------------------

const proxies = [];
let connectWaiter; // {remaining, resolve}
const ackCount = new Map(); // type \0 version -> proxies that ACKed it
const ackWaiters = new Map(); // type \0 version -> resolve
let failures = 0;
const errors = [];

class Proxy {
  constructor(index, port, protocol, node) {
    this.index = index;
    this.protocol = protocol;
    this.node = node ?? { id: `bench-proxy-${index}`, cluster: 'bench' };
    this.startedAt = now();
    this.syncedAt = undefined;
    this.responses = 0;
    this.acked = new Set(); // types ACKed at least once
    this.edsNames = undefined;
    this.routeNames = undefined;
    this.last = new Map(); // typeUrl -> {version, nonce} (SotW)
    this.seen = new Map(); // type \0 version -> {recv, ack}
    this.clusters = new Map(); // delta: cluster name -> EDS name
    this.listeners = new Map(); // delta: listener name -> route names
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      // One HTTP/2 connection per proxy, as real proxies have (grpc-js otherwise shares one).
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
    const method = protocol === 'sotw' ? ADS_SERVICE.stream : ADS_SERVICE.delta;
    this.call = this.client[method]();
    this.call.on('data', (buf) => {
      try {
        if (this.protocol === 'sotw') this.onSotw(buf);
        else this.onDelta(buf);
      } catch (err) {
        this.fail(err.stack ?? String(err));
      }
    });
    this.call.on('error', (err) => this.fail(`stream error: ${err.message}`));
    this.call.on('status', (s) => {
      if (!this.closing && s.code !== grpc.status.OK) this.fail(`stream ended ${s.code} ${s.details}`);
    });
    // Envoy asks for clusters and listeners first, with its node on the first message only.
    if (protocol === 'sotw') {
      this.call.write(wire.encodeSotw({ node: this.node, type_url: CLUSTER_TYPE }));
      this.call.write(wire.encodeSotw({ type_url: LISTENER_TYPE }));
    } else {
      this.call.write(wire.encodeDelta({ node: this.node, type_url: CLUSTER_TYPE }));
      this.call.write(wire.encodeDelta({ type_url: LISTENER_TYPE }));
    }
  }

  fail(message) {
    if (this.failed) return;
    this.failed = true;
    failures++;
    if (errors.length < 5) errors.push(`proxy ${this.index}: ${message}`);
  }

  close() {
    this.closing = true;
    this.call.end();
    this.client.close();
  }

  // ---- SotW ----

  onSotw(buf) {
    const recv = now();
    this.responses++;
    let r = wire.scanSotw(buf, false);
    const t = r.typeUrl;
    if (t === CLUSTER_TYPE) {
      let names = exact ? undefined : sotwCdsCache.get(r.version);
      if (!names) {
        r = wire.scanSotw(buf, true);
        sotwCdsCache.set(r.version, (names = edsNamesOf(unpackAll(r.resources))));
      }
      if (this.edsNames?.join('\n') !== names.join('\n')) {
        this.edsNames = names;
        const prev = this.last.get(ENDPOINT_TYPE);
        this.call.write(sotwRequest(ENDPOINT_TYPE, names, prev?.version ?? '', prev?.nonce ?? ''));
      }
      this.ackSotw(t, r, []);
    } else if (t === LISTENER_TYPE) {
      let names = exact ? undefined : sotwLdsCache.get(r.version);
      if (!names) {
        r = wire.scanSotw(buf, true);
        sotwLdsCache.set(r.version, (names = routeNamesOf(unpackAll(r.resources))));
      }
      if (this.routeNames?.join('\n') !== names.join('\n')) {
        this.routeNames = names;
        const prev = this.last.get(ROUTE_TYPE);
        this.call.write(sotwRequest(ROUTE_TYPE, names, prev?.version ?? '', prev?.nonce ?? ''));
      }
      this.ackSotw(t, r, []);
    } else if (t === ENDPOINT_TYPE) {
      this.ackSotw(t, r, this.edsNames ?? []);
    } else {
      this.ackSotw(t, r, t === ROUTE_TYPE ? (this.routeNames ?? []) : []);
    }
    this.record(t, r.version, recv);
  }

  ackSotw(typeUrl, r, names) {
    this.last.set(typeUrl, { version: r.version, nonce: r.nonce });
    this.call.write(sotwRequest(typeUrl, names, r.version, r.nonce));
    this.markAcked(typeUrl);
  }

  // ---- delta ----

  onDelta(buf) {
    const recv = now();
    this.responses++;
    let r = wire.scanDelta(buf, false);
    const t = r.typeUrl;
    if (t === CLUSTER_TYPE || t === LISTENER_TYPE) {
      const cache = t === CLUSTER_TYPE ? deltaClusterCache : deltaListenerCache;
      if (exact || r.resources.some((x) => !cache.has(`${x.name}\u0000${x.version}`))) {
        r = wire.scanDelta(buf, true);
        for (const x of r.resources) {
          const key = `${x.name}\u0000${x.version}`;
          if (cache.has(key) && !exact) continue;
          const msg = wire.unpackAny(x.any);
          cache.set(key, t === CLUSTER_TYPE ? (edsNamesOf([msg])[0] ?? '') : routeNamesOf([msg]));
        }
      }
      const mine = t === CLUSTER_TYPE ? this.clusters : this.listeners;
      for (const x of r.resources) mine.set(x.name, cache.get(`${x.name}\u0000${x.version}`));
      for (const name of r.removed) mine.delete(name);
      const wanted = t === CLUSTER_TYPE ? [...mine.values()].filter(Boolean) : [...mine.values()].flat();
      const dependent = t === CLUSTER_TYPE ? ENDPOINT_TYPE : ROUTE_TYPE;
      const had = new Set((t === CLUSTER_TYPE ? this.edsNames : this.routeNames) ?? []);
      const want = new Set(wanted);
      const subscribe = [...want].filter((n) => !had.has(n));
      const unsubscribe = [...had].filter((n) => !want.has(n));
      if (t === CLUSTER_TYPE) this.edsNames = [...want];
      else this.routeNames = [...want];
      if (subscribe.length || unsubscribe.length) {
        this.call.write(wire.encodeDelta({ type_url: dependent, resource_names_subscribe: subscribe, resource_names_unsubscribe: unsubscribe }));
      }
    }
    this.call.write(wire.encodeDelta({ type_url: t, response_nonce: r.nonce }));
    this.markAcked(t);
    this.record(t, r.version, recv);
  }

  // ---- bookkeeping ----

  /** The first response of `version` of type `t`: when it came, when its ACK was written. */
  record(t, version, recv) {
    const key = `${t}\u0000${version}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, { recv, ack: now() });
    const n = (ackCount.get(key) ?? 0) + 1;
    ackCount.set(key, n);
    if (n === proxies.length) ackWaiters.get(key)?.();
  }

  markAcked(typeUrl) {
    this.acked.add(typeUrl);
    if (this.syncedAt !== undefined) return;
    const needEds = this.edsNames === undefined || this.edsNames.length > 0;
    const needRds = this.routeNames === undefined || this.routeNames.length > 0;
    const done =
      this.acked.has(CLUSTER_TYPE) &&
      this.acked.has(LISTENER_TYPE) &&
      (!needEds || this.acked.has(ENDPOINT_TYPE)) &&
      (!needRds || this.acked.has(ROUTE_TYPE));
    if (!done) return;
    this.syncedAt = now();
    if (connectWaiter && --connectWaiter.remaining === 0) connectWaiter.resolve();
  }
}

// ---- IPC -----------------------------------------------------------------------------

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise.then(() => true), new Promise((resolve) => (timer = setTimeout(resolve, ms, false)))]).finally(() =>
    clearTimeout(timer),
  );
}

const ops = {
  async connect({ port, protocol, from, to, nodes, exact: noCache = false, timeoutMs = 120_000 }) {
    exact = noCache;
    const startedAt = now();
    const done = new Promise((resolve) => (connectWaiter = { remaining: to - from, resolve }));
    for (let i = from; i < to; i++) proxies.push(new Proxy(i, port, protocol, nodes?.[i - from]));
    const complete = await withTimeout(done, timeoutMs);
    connectWaiter = undefined;
    const short = (t) => t.split('.').pop();
    const stuck = proxies
      .filter((p) => p.syncedAt === undefined)
      .slice(0, 5)
      .map((p) => `proxy ${p.index}: ACKed [${[...p.acked].map(short).join(',')}], eds ${p.edsNames?.length ?? '-'}, routes ${p.routeNames?.length ?? '-'}, responses ${p.responses}`);
    return {
      stuck,
      complete,
      startedAt,
      synced: proxies.map((p) => p.syncedAt ?? null),
      failures,
      errors,
    };
  },
  async await({ version, typeUrl = ENDPOINT_TYPE, timeoutMs = 60_000 }) {
    const key = `${typeUrl}\u0000${version}`;
    if ((ackCount.get(key) ?? 0) < proxies.length) {
      const done = new Promise((resolve) => ackWaiters.set(key, resolve));
      await withTimeout(done, timeoutMs);
      ackWaiters.delete(key);
    }
    const times = proxies.map((p) => p.seen.get(key) ?? null);
    return {
      complete: times.every(Boolean),
      recv: times.map((x) => x?.recv ?? null),
      ack: times.map((x) => x?.ack ?? null),
      failures,
      errors,
    };
  },
  async close() {
    for (const p of proxies) p.close();
    proxies.length = 0;
    return { cpu: process.cpuUsage(), rssMb: process.memoryUsage().rss / 2 ** 20 };
  },
};

process.on('message', (msg) => {
  const op = ops[msg.op];
  const reply = (body) => process.send?.({ id: msg.id, ...body });
  if (!op) return reply({ error: `unknown op ${msg.op}` });
  op(msg).then(
    (result) => reply({ result }),
    (err) => reply({ error: err.stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.({ ready: true });
