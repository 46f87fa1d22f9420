// Protocol selection for Service ports, as Istio does it: UDP ports are UDP; else
// `appProtocol` if set (with Kubernetes' own kubernetes.io/h2c, ws, wss names), else
// the port name's prefix before the first '-'. Anything unrecognised (or an unnamed
// port) is 'UnsupportedProtocol', which translation treats as TCP with sniffing off.
import type { Protocol } from '../model/types.js';

const BY_NAME: Record<string, Protocol> = {
  http: 'HTTP',
  http_proxy: 'HTTP',
  http2: 'HTTP2',
  https: 'HTTPS',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  tcp: 'TCP',
  tls: 'TLS',
  mongo: 'Mongo',
  mysql: 'MySQL',
  redis: 'Redis',
  udp: 'UDP',
};

/** Istio's protocol.Parse: a protocol name, case-insensitive; unknown → 'UnsupportedProtocol'. */
export function parseProtocol(name: string | undefined): Protocol {
  if (!name) return 'UnsupportedProtocol';
  return BY_NAME[name.toLowerCase()] ?? 'UnsupportedProtocol';
}

/** The protocol of a Kubernetes Service port (or an EndpointSlice port). */
export function servicePortProtocol(port: { name?: string; protocol?: string; appProtocol?: string }): Protocol {
  if (port.protocol?.toUpperCase() === 'UDP') return 'UDP';
  let name = port.name ?? '';
  if (port.appProtocol) {
    switch (port.appProtocol) {
      case 'kubernetes.io/h2c':
        return 'HTTP2';
      case 'kubernetes.io/ws':
        return 'HTTP';
      case 'kubernetes.io/wss':
        return 'HTTPS';
    }
    name = port.appProtocol;
  }
  // "grpc-web" contains the separator itself, so test it before cutting at '-'.
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  const dash = name.indexOf('-');
  return parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
}

/** A ServiceEntry / Gateway port: its `protocol` field, else the name convention. */
export function declaredPortProtocol(port: { name?: string; protocol?: string }): Protocol {
  if (port.protocol) return parseProtocol(port.protocol);
  return servicePortProtocol({ name: port.name });
}
