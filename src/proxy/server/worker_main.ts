// Entry point of a --concurrency worker process: a DataPlane driven over IPC.
import { ConfigError } from '../../api/json/issues.js';
import { logRegistry } from '../../common/logger.js';
import { snapshotToWire, takeSnapshot } from '../stats/snapshot.js';
import { StatsStore } from '../stats/store.js';
import { DataPlane } from './data_plane.js';
import { Runtime } from './runtime.js';
import type { WorkerReply, WorkerRequest } from './worker_protocol.js';

export function runWorker(): void {
  let plane: DataPlane | undefined;
  const stats = new StatsStore();
  const flush = setInterval(() => stats.flushHistogramIntervals(), 5000);
  flush.unref();
  const reply = (r: WorkerReply) => process.send?.(r);
  process.on('message', async (msg: WorkerRequest) => {
    try {
      const out: WorkerReply = { id: msg.id };
      switch (msg.op) {
        case 'init':
          for (const [c, l] of msg.init.logLevels) logRegistry.setLevel(c, l);
          logRegistry.format = msg.init.logFormat;
          plane = new DataPlane({ stats, runtime: Runtime.fromBootstrap(msg.init.layeredRuntime), localInfo: msg.init.localInfo, bind: true, staticSecrets: msg.init.staticSecrets, wildcardBindAddress: msg.init.wildcardBindAddress });
          break;
        case 'cluster':
          plane!.addOrUpdateCluster(msg.config, msg.path, msg.hosts);
          break;
        case 'removeCluster':
          plane!.removeCluster(msg.name);
          break;
        case 'membership':
          plane!.updateMembership(msg.name, msg.hosts);
          break;
        case 'listener':
          await plane!.addOrUpdateListener(msg.config, msg.path, msg.drainMs);
          break;
        case 'removeListener':
          plane!.removeListener(msg.name, msg.drainMs);
          break;
        case 'routeConfig':
          if (msg.config) plane!.routeConfigs.set(msg.name, msg.config);
          else plane!.routeConfigs.remove(msg.name);
          break;
        case 'secret':
          if (msg.secret) plane!.secrets.update(msg.name, msg.secret, 'ads', msg.version);
          else plane!.secrets.remove(msg.name, 'ads');
          break;
        case 'drain':
          plane!.drainListeners(msg);
          break;
        case 'stats':
          out.snapshot = snapshotToWire(takeSnapshot(stats));
          break;
        case 'hosts':
          out.hosts = plane!.hostReports();
          break;
        case 'listeners':
          out.listeners = plane!.listenerReports();
          break;
        case 'logLevels':
          for (const [c, l] of msg.levels) logRegistry.setLevel(c, l);
          break;
        case 'resetCounters':
          stats.resetCounters();
          break;
        case 'shutdown':
          await plane?.shutdown();
          reply(out);
          setTimeout(() => process.exit(0), 10);
          return;
      }
      reply(out);
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues : undefined;
      reply({ id: msg.id, error: { message: (err as Error).message, issues } });
    }
  });
  // The primary going away (crash, SIGKILL) must not leave orphan workers.
  process.on('disconnect', () => process.exit(0));
  // Messages sent before this listener existed would be lost: tell the primary we listen.
  process.send?.({ id: 0, ready: true });
}
