// Every resource translation produces is one skein's proxy accepts: it reads through
// the proto3-JSON reader with Envoy's validation rules (as an xDS update is checked),
// the snapshot holds every route/endpoint/secret its listeners and clusters name, and
// a data plane (no sockets) builds every cluster, route table and listener from it —
// the same constructors the proxy runs when the update arrives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../src/api/xds/resource_types.js';
import { Snapshot } from '../../../src/discovery/xds/cache/snapshot.js';
import { decodeProxyResources } from '../../../src/discovery/translate/index.js';
import type { ProxyResources } from '../../../src/discovery/model/types.js';
import { DataPlane } from '../../../src/proxy/server/data_plane.js';
import { Runtime } from '../../../src/proxy/server/runtime.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { CLUSTER_STATS } from '../../../src/proxy/upstream/cluster_stats.js';
import { createDiscovery } from '../../../src/proxy/upstream/discovery/index.js';
import { endpointsOf } from '../../../src/proxy/upstream/discovery/endpoints.js';
import type { XdsSubscriber } from '../../../src/proxy/xds/subscriber.js';
import { allTranslations } from './harness.js';

type Msg = Record<string, any>;

/** A subscriber that never delivers: EDS clusters are built, not fed (as --mode validate does). */
const NO_XDS: XdsSubscriber = { subscribe: () => ({ updateResourceInterest: () => undefined, cancel: () => undefined }) };

async function buildInDataPlane(r: ProxyResources): Promise<void> {
  const plane = new DataPlane({ stats: new StatsStore(), runtime: new Runtime(), localInfo: { nodeId: 'test', clusterName: 'test', node: {} }, bind: false });
  try {
    for (const s of r.secrets as Msg[]) plane.secrets.update(s.name, s as never, 'ads');
    for (const c of r.clusters as Msg[]) {
      const at = `cluster "${c.name}"`;
      createDiscovery(c as never, at, CLUSTER_STATS.create(new StatsStore().scope('')), NO_XDS);
      plane.addOrUpdateCluster(c as never, at);
    }
    for (const e of r.endpoints as Msg[]) endpointsOf(e as never, `assignment "${e.cluster_name}"`);
    for (const rc of r.routes as Msg[]) plane.routeConfigs.set(rc.name, rc as never);
    for (const l of r.listeners as Msg[]) plane.buildListener(l as never, `listener "${l.name}"`);
  } finally {
    await plane.shutdown();
  }
}

describe('every generated resource is valid for skein\'s proxy', () => {
  for (const { caseName, proxyName, resources } of allTranslations()) {
    it(`${caseName}/${proxyName}`, async () => {
      const decoded = decodeProxyResources(resources);
      const snapshot = Snapshot.fromResources('1', {
        [CLUSTER_TYPE]: decoded.clusters,
        [ENDPOINT_TYPE]: decoded.endpoints,
        [LISTENER_TYPE]: decoded.listeners,
        [ROUTE_TYPE]: decoded.routes,
        [SECRET_TYPE]: decoded.secrets,
      });
      assert.deepEqual(snapshot.consistencyErrors(), []);
      await buildInDataPlane(decoded);
    });
  }
});
