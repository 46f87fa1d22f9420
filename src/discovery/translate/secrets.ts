// SDS secrets for `credentialName`: istiod reads the Kubernetes Secret and serves it as
// `kubernetes://NAME` (certificate + key) and `kubernetes://NAME-cacert` (the CA that
// verifies peers), so certificates never sit in files on the gateway. Both Secret
// layouts Istio reads are accepted: type kubernetes.io/tls (tls.crt, tls.key, ca.crt)
// and generic (cert, key, cacert); the CA may also live in a separate NAME-cacert Secret.
import type { ConfigObject } from '../../api/istio/types.js';
import type { Json } from './envoy.js';
import { credentialCaSecretName, credentialSecretName } from './names.js';
import type { TranslateContext } from './context.js';

type Owner = Pick<ConfigObject, 'kind' | 'metadata' | 'source'>;

function pick(data: Record<string, Buffer>, keys: string[]): Buffer | undefined {
  for (const k of keys) {
    const v = data[k];
    if (v && v.length > 0) return v;
  }
  return undefined;
}

const inline = (b: Buffer): Json => ({ inline_bytes: b.toString('base64') });

export class CredentialSecrets {
  private readonly resources = new Map<string, Json>();

  constructor(private readonly ctx: TranslateContext) {}

  /**
   * The SDS name of the certificate and key in Secret `name` of the proxy's namespace,
   * or undefined (with a warning on `owner`) when there is no such usable Secret.
   */
  certificate(name: string, owner: Owner): string | undefined {
    const sdsName = credentialSecretName(name);
    if (this.resources.has(sdsName)) return sdsName;
    const ns = this.ctx.proxy.namespace;
    const secret = this.ctx.push.secret(ns, name);
    if (!secret) {
      this.ctx.warn(owner, `credentialName "${name}": no Secret ${ns}/${name} (it must be in the namespace of the proxy using it)`);
      return undefined;
    }
    const data = secret.spec.data ?? {};
    const cert = pick(data, ['tls.crt', 'cert']);
    const key = pick(data, ['tls.key', 'key']);
    if (!cert || !key) {
      this.ctx.warn(owner, `credentialName "${name}": Secret ${ns}/${name} has no certificate and key (tls.crt/tls.key or cert/key)`);
      return undefined;
    }
    this.resources.set(sdsName, { name: sdsName, tls_certificate: { certificate_chain: inline(cert), private_key: inline(key) } });
    return sdsName;
  }

  /** The SDS name of the CA bundle for `name` (its ca.crt, or Secret NAME-cacert), or undefined with a warning. */
  caCertificate(name: string, owner: Owner): string | undefined {
    const sdsName = credentialCaSecretName(name);
    if (this.resources.has(sdsName)) return sdsName;
    const ns = this.ctx.proxy.namespace;
    const own = this.ctx.push.secret(ns, name);
    const separate = this.ctx.push.secret(ns, `${name}-cacert`);
    const ca = pick(own?.spec.data ?? {}, ['ca.crt', 'cacert']) ?? pick(separate?.spec.data ?? {}, ['ca.crt', 'cacert', 'tls.crt']);
    if (!ca) {
      this.ctx.warn(owner, `credentialName "${name}": no CA certificate (ca.crt in Secret ${ns}/${name}, or Secret ${ns}/${name}-cacert)`);
      return undefined;
    }
    this.resources.set(sdsName, { name: sdsName, validation_context: { trusted_ca: inline(ca) } });
    return sdsName;
  }

  all(): Json[] {
    return [...this.resources.values()];
  }
}
