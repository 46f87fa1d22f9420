// Messages between the main process and --concurrency worker processes.
import type { LogLevel } from '../../common/logger.js';
import type { ConfigIssue } from '../../api/json/issues.js';
import type { Cluster } from '../upstream/cluster_info.js';
import type { HostDescription } from '../upstream/host.js';
import type { ListenerProto } from '../listener/listener_config.js';
import type { HostReport, ListenerReport } from './data_plane.js';
import type { LocalInfo } from './factory_context.js';
import type { envoy } from '../../api/envoy-types.generated.js';

export interface WorkerInit {
  localInfo: LocalInfo;
  layeredRuntime?: envoy.config.bootstrap.v3.LayeredRuntime;
  staticSecrets?: envoy.extensions.transport_sockets.tls.v3.Secret[];
  logLevels: Array<[string, LogLevel]>;
  logFormat: 'text' | 'json';
  /** --pod-ip */
  wildcardBindAddress?: string;
}

export type WorkerCommand =
  | { op: 'init'; init: WorkerInit }
  | { op: 'cluster'; config: Cluster; path: string; hosts: HostDescription[] }
  | { op: 'removeCluster'; name: string }
  | { op: 'membership'; name: string; hosts: HostDescription[] }
  | { op: 'listener'; config: ListenerProto; path: string; drainMs: number }
  | { op: 'removeListener'; name: string; drainMs: number }
  | { op: 'routeConfig'; name: string; config?: envoy.config.route.v3.RouteConfiguration }
  | { op: 'secret'; name: string; secret?: envoy.extensions.transport_sockets.tls.v3.Secret; version?: string }
  | { op: 'drain'; inboundOnly?: boolean; graceful?: boolean; drainMs: number }
  | { op: 'stats' }
  | { op: 'hosts' }
  | { op: 'listeners' }
  | { op: 'logLevels'; levels: Array<[string, LogLevel]> }
  | { op: 'resetCounters' }
  | { op: 'shutdown' };

export type WorkerRequest = WorkerCommand & { id: number };

export interface WorkerReply {
  id: number;
  /** First message of a worker: its IPC listener is in place. */
  ready?: boolean;
  error?: { message: string; issues?: ConfigIssue[] };
  snapshot?: unknown;
  hosts?: HostReport[];
  listeners?: ListenerReport[];
}
