// Node ports of NodePort / LoadBalancer Services, opened on 127.0.0.1 so
// `curl localhost:30000` reaches the ingress gateway as it does through kind's port
// mapping in the seeds. Re-read after every push: a Service added or edited while the
// mesh runs opens (or closes) its node ports.
//
// Not 0.0.0.0 by default: on Linux a wildcard listener takes its port on every
// address, and sidecars listen on every service's port at their own addresses — with
// Istio's gateway, port 31400 is both a node port and a service port. `mesh up
// --node-port-address 0.0.0.0` exposes node ports to the network when no service
// port collides with one.
import type { PushContext } from '../discovery/model/types.js';
import { endpointPicker, TcpForwarder } from './forwarder.js';

export const DEFAULT_NODE_PORT_ADDRESS = '127.0.0.1';

interface Open {
  /** "hostname:port" it forwards to; a change reopens it. */
  target: string;
  forwarder: TcpForwarder;
}

export function privilegedPortHint(port: number): string {
  return (
    `port ${port} is below 1024: run as root, or allow unprivileged ports with ` +
    `\`sudo sysctl net.ipv4.ip_unprivileged_port_start=${port}\` (or 0)`
  );
}

export class NodePorts {
  private readonly open = new Map<number, Open>();
  private readonly failed = new Set<string>();
  private closed = false;

  constructor(
    private readonly push: () => PushContext | undefined,
    private readonly line: (message: string) => void,
    private readonly address = DEFAULT_NODE_PORT_ADDRESS,
  ) {}

  private queue: Promise<void> = Promise.resolve();

  /** Opens and closes node ports to match the Services now; calls are serialized. */
  reconcile(): Promise<void> {
    this.queue = this.queue.then(() => this.reconcileNow());
    return this.queue;
  }

  private async reconcileNow(): Promise<void> {
    const push = this.push();
    if (!push || this.closed) return;
    const wanted = new Map<number, { hostname: string; port: number; label: string }>();
    for (const svc of push.services()) {
      if (svc.serviceType !== 'NodePort' && svc.serviceType !== 'LoadBalancer') continue;
      for (const p of svc.ports) {
        if (!p.nodePort || wanted.has(p.nodePort)) continue;
        wanted.set(p.nodePort, { hostname: svc.hostname, port: p.port, label: `service ${svc.namespace}/${svc.name} port ${p.port}${p.name ? ` (${p.name})` : ''}` });
      }
    }
    for (const [nodePort, o] of this.open) {
      const w = wanted.get(nodePort);
      if (w && `${w.hostname}:${w.port}` === o.target) continue;
      this.open.delete(nodePort);
      await o.forwarder.close();
    }
    for (const [nodePort, w] of wanted) {
      const target = `${w.hostname}:${w.port}`;
      if (this.open.has(nodePort)) continue;
      const forwarder = new TcpForwarder(endpointPicker(this.push, w.hostname, w.port));
      try {
        await forwarder.listen(this.address, nodePort);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const key = `${nodePort}|${target}|${code}`;
        if (!this.failed.has(key)) {
          this.failed.add(key);
          const why = code === 'EACCES' ? privilegedPortHint(nodePort) : code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message;
          this.line(`node port ${nodePort} for ${w.label} not opened: ${why}`);
        }
        continue;
      }
      if (this.closed) {
        await forwarder.close();
        return;
      }
      this.open.set(nodePort, { target, forwarder });
      this.line(`node port ${this.address}:${nodePort} → ${w.label}`);
    }
  }

  ports(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((o) => o.forwarder.close()));
  }
}
