// The state one translation carries: its inputs (push, proxy), the capabilities of the
// proxy it builds for, and the warnings it collects. Builders never throw on odd input;
// they skip the piece and call warn(), which names the object and where it was written.
import type { ConfigObject, DestinationRuleSpec } from '../../api/istio/types.js';
import { resolveHostname } from '../model/hosts.js';
import { domainSuffixOf } from '../model/mesh_config.js';
import type { MeshConfig, NamedConfig, Proxy, PushContext, Service } from '../model/types.js';
import { SKEIN_PROXY_CAPABILITIES, type ProxyCapabilities } from './capabilities.js';
import { CredentialSecrets } from './secrets.js';

export interface TranslateOptions {
  capabilities?: Partial<ProxyCapabilities>;
}

/** "VirtualService istioinaction/webapp-vs (vs.yaml:3)". */
export function describeObject(obj: Pick<ConfigObject, 'kind' | 'metadata' | 'source'>): string {
  const where = obj.source ? ` (${obj.source.file}:${obj.source.line})` : '';
  return `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}${where}`;
}

export class TranslateContext {
  readonly mesh: MeshConfig;
  readonly domainSuffix: string;
  readonly capabilities: ProxyCapabilities;
  /** Secrets named by credentialName that the resources built so far refer to. */
  readonly secrets: CredentialSecrets;
  private readonly warningSet = new Set<string>();
  private readonly drCache = new Map<string, NamedConfig<DestinationRuleSpec> | undefined>();

  constructor(
    readonly push: PushContext,
    readonly proxy: Proxy,
    options: TranslateOptions = {},
  ) {
    this.mesh = push.meshConfig;
    this.domainSuffix = domainSuffixOf(push.meshConfig);
    this.capabilities = { ...SKEIN_PROXY_CAPABILITIES, ...options.capabilities };
    this.secrets = new CredentialSecrets(this);
  }

  get warnings(): string[] {
    return [...this.warningSet];
  }

  /** Records a problem with `obj` (or with the proxy, when obj is undefined). */
  warn(obj: Pick<ConfigObject, 'kind' | 'metadata' | 'source'> | undefined, message: string): void {
    const who = obj ? describeObject(obj) : `proxy ${this.proxy.id}`;
    this.warningSet.add(`${who}: ${message}`);
  }

  /**
   * Runs one object's part of the translation; if odd input still makes it throw, the
   * part is skipped with a warning naming the object instead of failing the whole proxy.
   */
  guard<T>(obj: Pick<ConfigObject, 'kind' | 'metadata' | 'source'> | undefined, what: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.warn(obj, `${what} could not be translated (${(err as Error).message}); skipped`);
      return fallback;
    }
  }

  /** A host as written in an object of `namespace`, made fully qualified. */
  resolveHost(host: string, namespace: string): string {
    return resolveHostname(host, namespace, this.domainSuffix);
  }

  service(hostname: string): Service | undefined {
    return this.push.serviceByHostname(hostname, this.proxy.namespace);
  }

  /** The DestinationRule for `hostname` as this proxy sees it (cached: routes and clusters both ask). */
  destinationRule(hostname: string): NamedConfig<DestinationRuleSpec> | undefined {
    if (!this.drCache.has(hostname)) {
      this.drCache.set(hostname, this.push.destinationRule(this.proxy.namespace, hostname, this.proxy.labels));
    }
    return this.drCache.get(hostname);
  }

  /** "region/zone/subzone" of this proxy: from its node, else from the workload at its IP. */
  proxyLocality(): string {
    if (this.proxy.locality) return this.proxy.locality;
    const ips = new Set(this.proxy.ipAddresses);
    return this.push.workloads().find((w) => ips.has(w.address))?.locality ?? '';
  }
}
