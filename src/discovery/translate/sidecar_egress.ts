// A Sidecar's bound egress listeners: entries with a port and captureMode NONE
// (sidecar_scope.ts). The app talks to them explicitly, so each is a listener of its own
// at `bind` (default 127.0.0.1, which the local mesh maps to the pod's app address —
// sidecar_addresses.ts), named `<address>_<port>` as Istio names it:
//
//   HTTP ports   Istio's outbound connection manager with RDS "<port>"; that route
//                config holds the services the listener's hosts import (those with the
//                port), built with the view-address listeners' route configs.
//   TCP ports    tcp_proxy to the imported service with that port (a bound socket
//                cannot tell services apart, so Istio keeps the first).
//   no protocol  Istio's sniffing: HTTP as above, else TCP as above.
//
// Entries that cannot be bound here are skipped with a warning: the proxy would NACK a
// listener that fails to bind, and with it the whole push.
import type { Service } from '../model/types.js';
import { hasOutboundCluster } from './clusters.js';
import type { TranslateContext } from './context.js';
import { listenerName, socketAddress, type Json } from './envoy.js';
import { BLACKHOLE_CLUSTER } from './names.js';
import type { TcpTarget } from './network_filters.js';
import { localBind, type ListenerAddresses } from './sidecar_addresses.js';
import { httpChains, l4Chains, tcpTargetFor, virtualServiceByHost } from './sidecar_outbound.js';
import { isBound, type EgressListener, type Sidecar, type SidecarScope } from './sidecar_scope.js';
import { isHttpProtocol } from './traffic_policy.js';

export interface BoundEgress {
  listeners: Json[];
  /** Ports whose route config ("PORT") these listeners name. */
  httpPorts: Set<number>;
}

export function buildBoundEgress(ctx: TranslateContext, scope: SidecarScope, addresses: ListenerAddresses): BoundEgress {
  const out: BoundEgress = { listeners: [], httpPorts: new Set() };
  const sidecar = scope.sidecar;
  if (!sidecar) return out;
  for (const l of scope.egress) {
    if (!isBound(l)) {
      warnIgnoredBind(ctx, sidecar, l);
      continue;
    }
    ctx.guard(sidecar, `${l.where} listener`, () => addBound(ctx, sidecar, l, addresses, out), undefined);
  }
  return out;
}

/** A bind only means something for a listener with a socket of its own. */
function warnIgnoredBind(ctx: TranslateContext, sidecar: Sidecar, l: EgressListener): void {
  if (!l.bind) return;
  const why = l.port ? 'only captureMode NONE binds a listener of its own' : 'it has no port';
  ctx.warn(sidecar, `${l.where}: bind ${l.bind} ignored (${why}); its services are reached at the pod's service view addresses, as captured traffic would be`);
}

function addBound(ctx: TranslateContext, sidecar: Sidecar, l: EgressListener, addresses: ListenerAddresses, out: BoundEgress): void {
  const port = l.port!;
  const skip = (why: string) => ctx.warn(sidecar, `${l.where}: ${why}; listener skipped`);
  if (port.protocol === 'UDP') return skip('UDP listeners are not supported');
  const bind = localBind(ctx, l.bind, 'loopback');
  if ('problem' in bind) return skip(bind.problem);
  const http = isHttpProtocol(port.protocol) || port.protocol === 'UnsupportedProtocol';
  const tcpService = http && port.protocol !== 'UnsupportedProtocol' ? undefined : firstTcpService(ctx, sidecar, l);
  if (!http && !tcpService) return skip(`no service its hosts import has port ${port.port}`);
  const holder = addresses.claim(bind.address, port.port, `Sidecar ${l.where}`);
  if (holder) return skip(`${bind.address}:${port.port} is already taken by ${holder}`);
  if (http && l.services.length === 0) {
    ctx.warn(sidecar, `${l.where}: no service its hosts import has port ${port.port}; every request on ${bind.address}:${port.port} gets 404`);
  }

  const vs = tcpService ? virtualServiceByHost(ctx, [tcpService]).get(tcpService.hostname) : undefined;
  const tcpTarget = (): TcpTarget => (tcpService ? tcpTargetFor(ctx, tcpService, port.port, vs) : { cluster: BLACKHOLE_CLUSTER });
  const chains = http ? httpChains(ctx, `outbound_${bind.address}_${port.port}`, port, tcpTarget) : l4Chains(ctx, tcpService!, port, vs);
  if (http) out.httpPorts.add(port.port);
  out.listeners.push({ name: listenerName(bind.address, port.port), address: socketAddress(bind.address, port.port), ...chains, traffic_direction: 'OUTBOUND' });
}

/** The service a TCP listener forwards to: the first one imported (they all have the port). */
function firstTcpService(ctx: TranslateContext, sidecar: Sidecar, l: EgressListener): Service | undefined {
  const [first, ...others] = l.services.filter((s) => hasOutboundCluster(ctx, s));
  if (first && others.length) {
    ctx.warn(sidecar, `${l.where}: a TCP listener forwards to one service; ${first.hostname} is used, not ${others.map((s) => s.hostname).join(', ')}`);
  }
  return first;
}
