// DestinationRules: a host no service defines (IST0174), and a subset whose labels
// select no workload of its service (IST0173: traffic sent there gets 503 UH).
import { AnalysisContext, labelsMatch, resolveHost, type AnalyzedService, type AnalyzedWorkload } from './context.js';
import { MESSAGE_TYPES, messageFor, type AnalysisMessage } from './messages.js';

export function checkDestinationRules(ctx: AnalysisContext): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const dr of ctx.destinationRules) {
    const { host } = dr.spec;
    if (host.includes('*')) continue;
    const service = ctx.findService(resolveHost(host, dr.metadata.namespace));
    if (!service) {
      out.push(messageFor(MESSAGE_TYPES.UnknownDestinationRuleHost, dr, ['spec', 'host'], `The host ${host} defined in the DestinationRule does not match any services in the mesh.`));
      continue;
    }
    const candidates = workloadsOf(ctx, service);
    if (!candidates) continue;
    (dr.spec.subsets ?? []).forEach((subset, i) => {
      if (candidates.some((labels) => labelsMatch(subset.labels ?? {}, labels))) return;
      out.push(
        messageFor(
          MESSAGE_TYPES.DestinationRuleSubsetNotSelectPods,
          dr,
          ['spec', 'subsets', i, 'name'],
          `The Subset ${subset.name} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
        ),
      );
    });
  }
  return out;
}

/**
 * The label sets of a service's workloads, or undefined when they are not chosen by
 * labels (a Service without selector, a ServiceEntry resolved by DNS): nothing to check.
 */
function workloadsOf(ctx: AnalysisContext, service: AnalyzedService): Record<string, string>[] | undefined {
  if (service.inlineEndpoints?.length) return service.inlineEndpoints;
  if (!service.selector || Object.keys(service.selector).length === 0) return undefined;
  return ctx.workloadsMatching(service.namespace, service.selector).map((w: AnalyzedWorkload) => w.labels);
}
