// Just enough xDS wire handling for the simulated proxies of bench/xds.mjs. The
// envelopes (DiscoveryResponse, DeltaDiscoveryResponse) are scanned field by field
// rather than decoded, so a SotW response with 1,000 ClusterLoadAssignments costs
// the client a loop over 1,000 length prefixes, not 1,000 objects: the client
// processes share the machine's two cores with the server being measured.
// Field numbers come from the project's own proto root (nothing hard-coded), and
// requests are encoded by the project's codec.
import path from 'node:path';
import { skeinHome } from './snapshot.mjs';

// The parent's copy of the tree (snapshot.mjs), so clients and server run one build.
const dist = (p) => import(path.join(skeinHome(), 'dist', p));

const NS = 'envoy.service.discovery.v3.';
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

/** Loads the project's codec and the field numbers the scanner needs. */
export async function loadWire() {
  const [{ messageToBinary, unpackAny }, { messageType }, services] = await Promise.all([
    dist('src/api/proto/binary.js'),
    dist('src/api/proto/root.js'),
    dist('src/discovery/xds/services.js'),
  ]);
  const ids = (name) => Object.fromEntries(messageType(name).fieldsArray.map((f) => [f.name, f.id]));
  const f = {
    sotw: ids(NS + 'DiscoveryResponse'),
    delta: ids(NS + 'DeltaDiscoveryResponse'),
    resource: ids(NS + 'Resource'),
    any: ids('google.protobuf.Any'),
  };
  return {
    services,
    encodeSotw: (msg) => messageToBinary(NS + 'DiscoveryRequest', msg),
    encodeDelta: (msg) => messageToBinary(NS + 'DeltaDiscoveryRequest', msg),
    unpackAny,
    /** {version, typeUrl, nonce, resources: [{typeUrl, value}]} of a DiscoveryResponse. */
    scanSotw(buf, wantResources) {
      const out = { version: '', typeUrl: '', nonce: '', resources: [] };
      scan(buf, 0, buf.length, (no, s, e) => {
        if (no === f.sotw.version_info) out.version = buf.toString('utf8', s, e);
        else if (no === f.sotw.type_url) out.typeUrl = buf.toString('utf8', s, e);
        else if (no === f.sotw.nonce) out.nonce = buf.toString('utf8', s, e);
        else if (no === f.sotw.resources && wantResources) out.resources.push(scanAny(buf, s, e, f.any));
      });
      return out;
    },
    /** {version, typeUrl, nonce, resources: [{name, version, any}], removed} of a DeltaDiscoveryResponse. */
    scanDelta(buf, wantBodies) {
      const out = { version: '', typeUrl: '', nonce: '', resources: [], removed: [] };
      scan(buf, 0, buf.length, (no, s, e) => {
        if (no === f.delta.system_version_info) out.version = buf.toString('utf8', s, e);
        else if (no === f.delta.type_url) out.typeUrl = buf.toString('utf8', s, e);
        else if (no === f.delta.nonce) out.nonce = buf.toString('utf8', s, e);
        else if (no === f.delta.removed_resources) out.removed.push(buf.toString('utf8', s, e));
        else if (no === f.delta.resources) {
          const r = { name: '', version: '', any: undefined };
          scan(buf, s, e, (rn, rs, re) => {
            if (rn === f.resource.name) r.name = buf.toString('utf8', rs, re);
            else if (rn === f.resource.version) r.version = buf.toString('utf8', rs, re);
            else if (rn === f.resource.resource && wantBodies) r.any = scanAny(buf, rs, re, f.any);
          });
          out.resources.push(r);
        }
      });
      return out;
    },
  };
}

function scanAny(buf, s, e, ids) {
  const any = { type_url: '', value: undefined };
  scan(buf, s, e, (no, a, b) => {
    if (no === ids.type_url) any.type_url = buf.toString('utf8', a, b);
    else if (no === ids.value) any.value = buf.subarray(a, b);
  });
  return any;
}

/** Calls fn(fieldNo, start, end) for every length-delimited field in buf[pos, end); skips the rest. */
function scan(buf, pos, end, fn) {
  while (pos < end) {
    let key = 0;
    let shift = 0;
    let b;
    do {
      b = buf[pos++];
      key += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    const wire = key % 8;
    const no = Math.floor(key / 8);
    if (wire === 0) {
      while (buf[pos++] & 0x80);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len = 0;
      shift = 0;
      do {
        b = buf[pos++];
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      fn(no, pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** EDS names a set of unpacked clusters needs, as Envoy derives them. */
export function edsNamesOf(clusters) {
  const names = [];
  for (const c of clusters) {
    if (c.type === 'EDS' || c.type === 3) names.push(c.eds_cluster_config?.service_name || c.name);
  }
  return names.sort();
}

/** RDS route config names a set of unpacked listeners refers to. */
export function routeNamesOf(listeners) {
  const names = new Set();
  for (const l of listeners) {
    for (const chain of l.filter_chains ?? []) {
      for (const filter of chain.filters ?? []) {
        const name = filter.typed_config?.rds?.route_config_name;
        if (name) names.add(name);
      }
    }
  }
  return [...names].sort();
}
