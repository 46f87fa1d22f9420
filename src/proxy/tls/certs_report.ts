// admin /certs: every certificate in use by listeners and clusters. TLS contexts
// register their material here when built; the registry holds them weakly, so a
// dropped listener generation or cluster disappears from the report once collected
// (or at once, when its owner unregisters on close).
import { certificateDetails, type CertificateDetails } from './cert_info.js';
import type { TlsMaterial } from './tls_material.js';
import { WeakSubscribers } from './weak_subscribers.js';

export interface CertificatesReport {
  certificates: Array<{ ca_cert: CertificateDetails[]; cert_chain: CertificateDetails[] }>;
}

const contexts = new WeakSubscribers<TlsMaterial>();

/** Lists `material` in /certs until the returned function is called (or it is collected). */
export function registerTlsMaterial(material: TlsMaterial): () => void {
  return contexts.add(material);
}

/**
 * Envoy's /certs body: one entry per TLS context, its trust anchor (the first CA
 * of the bundle, as Envoy shows) and the leaf of each of its certificates.
 */
export function certsReport(now = Date.now()): CertificatesReport {
  return {
    certificates: contexts.live().map((m) => {
      const ca = m.validation?.ca[0];
      return {
        ca_cert: ca ? [certificateDetails(ca, m.validation?.caPath ?? '<inline>', now)] : [],
        cert_chain: m.certificates.flatMap((c) => (c.chain[0] ? [certificateDetails(c.chain[0], c.path, now)] : [])),
      };
    }),
  };
}
