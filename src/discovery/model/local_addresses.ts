// How the local mesh (`skein mesh up`) lays pods out on one machine without network
// namespaces or iptables. Every pod gets addresses of its own inside 127.0.0.0/8, so
// two pods can both listen on 8080 and an unmodified app can reach a service through
// its own sidecar:
//
//   pod IP         127.1.H.L       the sidecar's inbound listeners (and a gateway's
//                                  listeners); what EDS publishes, like a pod IP.
//   app address    127.2.H.L       the pod's private loopback: the app listens here and
//                                  only its own sidecar sends to it (inbound|PORT||).
//   service view   127.(16+H).L.S  pod P's address for service S: the sidecar binds an
//                                  outbound listener there for each of S's ports, and
//                                  the app gets it as S_SERVICE_HOST (like a ClusterIP
//                                  whose traffic iptables would steer to the sidecar).
//
// where P = H*256 + L is the pod's index (1 ≤ P < 240*256) and S is the service's
// localIndex (1..254). Translation and the mesh supervisor both derive addresses from
// these functions, so they always agree.

export const MAX_LOCAL_PODS = 240 * 256 - 1;
export const MAX_LOCAL_SERVICES = 254;

function checkPod(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_LOCAL_PODS) {
    throw new RangeError(`local pod index ${index} is outside 1..${MAX_LOCAL_PODS}`);
  }
}

export function podIp(index: number): string {
  checkPod(index);
  return `127.1.${index >> 8}.${index & 255}`;
}

export function appAddress(index: number): string {
  checkPod(index);
  return `127.2.${index >> 8}.${index & 255}`;
}

export function serviceViewAddress(podIndex: number, serviceIndex: number): string {
  checkPod(podIndex);
  if (!Number.isInteger(serviceIndex) || serviceIndex < 1 || serviceIndex > MAX_LOCAL_SERVICES) {
    throw new RangeError(`local service index ${serviceIndex} is outside 1..${MAX_LOCAL_SERVICES}`);
  }
  return `127.${16 + (podIndex >> 8)}.${podIndex & 255}.${serviceIndex}`;
}

/** The pod index of a local pod IP (127.1.H.L), or undefined for any other address. */
export function podIndexOf(ip: string): number | undefined {
  const m = /^127\.1\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const index = Number(m[1]) * 256 + Number(m[2]);
  return index >= 1 && index <= MAX_LOCAL_PODS ? index : undefined;
}
