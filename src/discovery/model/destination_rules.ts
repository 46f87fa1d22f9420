// Istio's DestinationRule lookup for (proxy namespace, host): a rule in the proxy's
// own namespace, else one exported from the service's namespace, else one exported
// from the root namespace — never a rule from a fourth namespace. Within a namespace
// the most specific host wins (exact before wildcard, longer wildcard before shorter).
// Several rules for one host are not merged: the first wins and the rest are reported.
//
// Translation asks this once per (proxy, service), so each namespace keeps its rules
// as an exact-host map plus wildcards pre-sorted by specificity: a lookup is one map
// probe and, failing that, a walk over the namespace's wildcard rules.
import type { DestinationRuleSpec } from '../../api/istio/types.js';
import { compareHostSpecificity, hostMatches, resolveHostname } from './hosts.js';
import { normaliseExportTo, selectorMatches, visibleFrom } from './labels.js';
import type { NamedConfig } from './types.js';
import { describe } from './describe.js';

type DestinationRule = NamedConfig<DestinationRuleSpec>;

interface IndexedRule {
  host: string;
  rule: DestinationRule;
  exportTo: string[];
  selector?: Record<string, string>;
}

/** One namespace's rules of one kind (with or without workloadSelector). */
class RuleSet {
  private readonly exact = new Map<string, IndexedRule[]>();
  private readonly wildcards: IndexedRule[] = [];
  private sorted = true;

  add(entry: IndexedRule): void {
    if (entry.host.startsWith('*')) {
      this.wildcards.push(entry);
      this.sorted = false;
    } else {
      const list = this.exact.get(entry.host);
      if (list) list.push(entry);
      else this.exact.set(entry.host, [entry]);
    }
  }

  /** The first rule (by specificity, then input order) for which `accept` holds. */
  find(hostname: string, accept: (e: IndexedRule) => boolean): DestinationRule | undefined {
    const exact = this.exact.get(hostname.toLowerCase())?.find(accept);
    if (exact) return exact.rule;
    if (!this.sorted) {
      // Array.prototype.sort is stable: equal hosts keep input order.
      this.wildcards.sort((a, b) => compareHostSpecificity(a.host, b.host));
      this.sorted = true;
    }
    return this.wildcards.find((e) => hostMatches(e.host, hostname) && accept(e))?.rule;
  }

  clash(entry: IndexedRule): IndexedRule | undefined {
    const same = (e: IndexedRule): boolean => e.host === entry.host && sameLabels(e.selector, entry.selector);
    return entry.host.startsWith('*') ? this.wildcards.find(same) : this.exact.get(entry.host)?.find(same);
  }
}

export class DestinationRuleIndex {
  private readonly plain = new Map<string, RuleSet>();
  private readonly selecting = new Map<string, RuleSet>();

  constructor(
    rules: readonly DestinationRule[],
    private readonly rootNamespace: string,
    domainSuffix: string,
    warn: (message: string) => void,
  ) {
    for (const rule of rules) {
      const ns = rule.metadata.namespace;
      if (!rule.spec?.host) {
        warn(`${describe(rule)}: no host; DestinationRule ignored`);
        continue;
      }
      const entry: IndexedRule = {
        host: resolveHostname(rule.spec.host, ns, domainSuffix).toLowerCase(),
        rule,
        exportTo: normaliseExportTo(rule.spec.exportTo, ns),
      };
      const selector = rule.spec.workloadSelector?.matchLabels;
      if (selector && Object.keys(selector).length > 0) entry.selector = selector;
      const sets = entry.selector ? this.selecting : this.plain;
      let set = sets.get(ns);
      if (!set) sets.set(ns, (set = new RuleSet()));
      const clash = set.clash(entry);
      if (clash) {
        warn(`${describe(rule)}: host ${entry.host} already has ${describe(clash.rule)} in namespace ${ns}; the first one applies`);
      }
      set.add(entry);
    }
  }

  lookup(
    proxyNamespace: string,
    hostname: string,
    serviceNamespace: string | undefined,
    labels?: Record<string, string>,
  ): DestinationRule | undefined {
    // A rule counts in its own namespace unless its exportTo leaves that namespace
    // out (["other-ns"], or "~"), so one visibility test serves all three steps.
    const visible = (e: IndexedRule): boolean => visibleFrom(e.exportTo, proxyNamespace);
    if (labels) {
      const selected = this.selecting.get(proxyNamespace)?.find(hostname, (e) => visible(e) && selectorMatches(e.selector, labels));
      if (selected) return selected;
    }
    const own = this.plain.get(proxyNamespace)?.find(hostname, visible);
    if (own) return own;
    for (const ns of [serviceNamespace, this.rootNamespace]) {
      if (ns === undefined || ns === proxyNamespace) continue;
      const exported = this.plain.get(ns)?.find(hostname, visible);
      if (exported) return exported;
    }
    return undefined;
  }
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
