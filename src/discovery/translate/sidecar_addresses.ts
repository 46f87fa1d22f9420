// Where a Sidecar resource's explicit listeners live in the local mesh, and where they
// forward to. Istio writes these addresses for a pod's own network namespace; the local
// mesh has none (docs/mesh.md, model/local_addresses.ts), so:
//
//   127.0.0.1 (bind or defaultEndpoint)  →  the pod's app address 127.2.H.L: the pod's
//       private loopback. Every pod binding 127.0.0.1:9080 itself would clash.
//   0.0.0.0:PORT (defaultEndpoint)       →  the app address too: Istio sends it to the
//       instance IP, and the app's "instance IP" (POD_IP) here is its app address.
//   no bind (ingress)                    →  the pod IP, as Istio binds the instance IP.
//   0.0.0.0 (bind)                       →  kept: `skein proxy --pod-ip` binds it to the pod IP.
//
// Any other address is not the pod's own (it would fail to bind, a NACK for the whole
// push), so it is refused with a warning. ListenerAddresses catches two listeners (or a
// listener and the app, or the proxy's own ports) wanting the same address and port.
import { appAddress } from '../model/local_addresses.js';
import type { TranslateContext } from './context.js';

/** Ports skein's proxy binds on the pod IP itself (src/mesh/bootstrap.ts): admin, health, Prometheus. */
export const PROXY_OWN_PORTS: readonly number[] = [15000, 15021, 15090];

const UNIX_PREFIX = 'unix://';

export function podIpOf(ctx: TranslateContext): string {
  return ctx.proxy.ipAddresses[0] ?? '0.0.0.0';
}

/** The pod's private loopback: where its app listens and where "127.0.0.1" points. */
export function podLoopback(ctx: TranslateContext): string {
  if (ctx.proxy.appAddress) return ctx.proxy.appAddress;
  return ctx.proxy.localPodIndex !== undefined ? appAddress(ctx.proxy.localPodIndex) : '127.0.0.1';
}

export type LocalBind = { address: string } | { problem: string };

/** A listener's `bind` in the local mesh; without one, the pod IP (ingress) or the pod's loopback (egress, captureMode NONE). */
export function localBind(ctx: TranslateContext, bind: unknown, fallback: 'podIp' | 'loopback'): LocalBind {
  if (bind === undefined || bind === null || bind === '') return { address: fallback === 'podIp' ? podIpOf(ctx) : podLoopback(ctx) };
  if (typeof bind !== 'string') return { problem: `bind ${JSON.stringify(bind)} is not an address` };
  if (bind.startsWith(UNIX_PREFIX)) return { problem: `bind ${bind}: unix domain socket listeners are not supported yet` };
  if (bind === '127.0.0.1') return { address: podLoopback(ctx) };
  if (bind === '0.0.0.0' || ctx.proxy.ipAddresses.includes(bind) || bind === podLoopback(ctx)) return { address: bind };
  return { problem: `bind ${bind} is not an address of this pod (in the local mesh: 127.0.0.1, which is its app address ${podLoopback(ctx)}; 0.0.0.0; or its pod IP ${podIpOf(ctx)})` };
}

export type LocalEndpoint = { address: string; port: number } | { pipe: string } | { problem: string };

/**
 * An ingress listener's `defaultEndpoint`: 127.0.0.1:PORT / 0.0.0.0:PORT (and the IPv6
 * forms Istio accepts) → the app address; unix://PATH → a pipe. Without one Istio passes
 * the connection on to its original destination port, i.e. the app on the same port.
 */
export function defaultEndpoint(ctx: TranslateContext, raw: unknown, listenPort: number): LocalEndpoint {
  if (raw === undefined || raw === null || raw === '') return { address: podLoopback(ctx), port: listenPort };
  if (typeof raw !== 'string') return { problem: `defaultEndpoint ${JSON.stringify(raw)} is not an address` };
  if (raw.startsWith(UNIX_PREFIX)) {
    const path = raw.slice(UNIX_PREFIX.length);
    return path ? { pipe: path } : { problem: `defaultEndpoint ${raw} names no socket` };
  }
  const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    return { problem: `defaultEndpoint "${raw}" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path (as Istio requires)` };
  }
  return { address: podLoopback(ctx), port };
}

const APP = 'the app';

/** Who holds which address:port on this pod, so a clash is a warning rather than a bind error. */
export class ListenerAddresses {
  private readonly taken = new Map<string, string>();

  constructor(private readonly podIp: string) {
    for (const port of PROXY_OWN_PORTS) this.taken.set(this.key(podIp, port), `the proxy's own listener on ${port}`);
  }

  /** A wildcard listener really binds the pod IP (`skein proxy --pod-ip`). */
  private key(address: string, port: number): string {
    return `${address === '0.0.0.0' ? this.podIp : address}:${port}`;
  }

  /** Takes address:port for `who`; returns the holder instead when someone already has it. */
  claim(address: string, port: number, who: string): string | undefined {
    const key = this.key(address, port);
    const holder = this.taken.get(key);
    if (holder !== undefined) return holder;
    this.taken.set(key, who);
    return undefined;
  }

  /** Where the app listens; several listeners may forward to the same app socket. */
  claimApp(address: string, port: number): string | undefined {
    const holder = this.claim(address, port, APP);
    return holder === APP ? undefined : holder;
  }

  /** Records a listener built elsewhere (its socket_address), so later listeners see it. */
  claimListener(listener: Record<string, unknown>): void {
    const sa = (listener.address as { socket_address?: { address: string; port_value: number } } | undefined)?.socket_address;
    if (sa) this.claim(sa.address, sa.port_value, `listener ${String(listener.name)}`);
  }
}
