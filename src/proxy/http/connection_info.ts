// Facts about the downstream connection a stream arrived on.

export interface ConnectionInfo {
  readonly id: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** TLS facts when the connection is TLS (issue 3 fills these). */
  readonly tls?: {
    sni?: string;
    alpn?: string;
    peerCertificatePresented: boolean;
    peerUriSans?: string[];
    peerDnsSans?: string[];
    peerSubject?: string;
    localUriSans?: string[];
    version?: string;
    cipher?: string;
  };
  /** "http" or "https": what x-forwarded-proto says when the edge sets it. */
  readonly scheme: 'http' | 'https';
}

/** "1.2.3.4:80" / "[::1]:80" the way Envoy prints socket addresses. */
export function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Strips IPv4-mapped IPv6 prefixes node reports on dual-stack sockets. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
