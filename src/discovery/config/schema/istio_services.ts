// Schemas of networking.istio.io ServiceEntry, WorkloadEntry and Sidecar, and the
// loosely kept security.istio.io PeerAuthentication (stored now, enforced later).
import { int, list, looseMap, map, obj, oneOf, port, req, str, stringMap, unsupported } from './engine.js';
import { notEmpty, SERVICE_PROTOCOLS } from './istio_networking.js';

export const workloadEntrySpec = obj({
  address: str(),
  ports: map(port()),
  labels: stringMap(),
  network: str(),
  locality: str(),
  weight: int(0),
  serviceAccount: str(),
});

const servicePort = obj({ number: req(port()), protocol: oneOf(SERVICE_PROTOCOLS, true), name: req(str(notEmpty)), targetPort: port() });

export const serviceEntrySpec = obj(
  {
    hosts: req(list(str(notEmpty), true)),
    addresses: list(str()),
    ports: list(servicePort),
    location: oneOf(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    resolution: oneOf(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']),
    endpoints: list(workloadEntrySpec),
    workloadSelector: obj({ labels: stringMap() }),
    exportTo: list(str()),
    subjectAltNames: list(str()),
  },
  {
    exclusive: [['endpoints', 'workloadSelector']],
    check(se, report) {
      const seen = new Set<number>();
      ((se.ports as { number: number }[] | undefined) ?? []).forEach((p, i) => {
        if (seen.has(p.number)) report.error(`duplicate port number ${p.number}`, 'ports', i, 'number');
        seen.add(p.number);
      });
      if (se.resolution === 'STATIC') {
        ((se.endpoints as { address?: string }[] | undefined) ?? []).forEach((e, i) => {
          if (!e.address) report.error('an endpoint of a STATIC ServiceEntry needs an address', 'endpoints', i);
        });
      }
    },
  },
);

const sidecarPort = obj({ number: req(port()), protocol: oneOf(SERVICE_PROTOCOLS, true), name: str(), targetPort: unsupported() });
const captureMode = oneOf(['DEFAULT', 'IPTABLES', 'NONE']);

// Sidecar egress hosts are "namespace/dnsName": "istio-system/*", "./*", "*/catalog.istioinaction.svc.cluster.local".
const egressHost = str((h) => (/^[^/]+\/[^/]+$/.test(h) ? undefined : `"${h}" must be written as namespace/host, e.g. "./*" or "istio-system/*"`));

export const sidecarSpec = obj({
  workloadSelector: obj({ labels: stringMap() }),
  ingress: list(obj({ port: req(sidecarPort), bind: str(), captureMode, defaultEndpoint: str(), tls: unsupported(), connectionPool: unsupported() })),
  egress: list(obj({ port: sidecarPort, bind: str(), captureMode, hosts: req(list(egressHost, true)) })),
  outboundTrafficPolicy: obj({ mode: oneOf(['REGISTRY_ONLY', 'ALLOW_ANY']), egressProxy: unsupported() }),
  inboundConnectionPool: unsupported(),
});

/** Kept as written until the security issue enforces it; only its shape (a map) is checked. */
export const peerAuthenticationSpec = looseMap();
