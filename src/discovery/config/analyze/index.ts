// `skein analyze`'s checks, usable by the control plane too: config-store issues as
// schema messages, then cross-reference checks over the objects that loaded.
import type { ConfigObject } from '../../../api/istio/types.js';
import type { ConfigIssue } from '../issues.js';
import { checkConflictingHosts } from './conflicts.js';
import { AnalysisContext, type AnalyzeOptions } from './context.js';
import { checkDestinationRules } from './destination_rules.js';
import { checkDestinations } from './destinations.js';
import { checkGatewaySelectors, checkVirtualServiceGateways, checkVirtualServiceHostsInGateway } from './gateways.js';
import { MESSAGE_TYPES, sortMessages, type AnalysisMessage } from './messages.js';

export { formatAnalysisMessage, sortMessages, MESSAGE_TYPES, type AnalysisMessage, type Level } from './messages.js';
export { AnalysisContext, resolveGateway, resolveHost, hostMatches, labelsMatch, DEFAULT_INGRESS_GATEWAY, type AnalyzeOptions } from './context.js';

/**
 * Every message for a set of objects and the issues met loading them, sorted
 * (errors first, then by file and line). Issues without a line (a path that does
 * not exist) are left to the caller: they are not about any resource.
 */
export function analyzeConfig(objects: readonly ConfigObject[], issues: readonly ConfigIssue[] = [], options: AnalyzeOptions = {}): AnalysisMessage[] {
  const ctx = new AnalysisContext(objects, options);
  return sortMessages([
    ...issues.filter((i) => i.line > 0).map(schemaMessage),
    ...checkGatewaySelectors(ctx),
    ...checkVirtualServiceGateways(ctx),
    ...checkVirtualServiceHostsInGateway(ctx),
    ...checkDestinations(ctx),
    ...checkDestinationRules(ctx),
    ...checkConflictingHosts(ctx),
  ]);
}

/** IST0106 for errors (the object was skipped), IST0133 for warnings. */
export function schemaMessage(issue: ConfigIssue): AnalysisMessage {
  const type = issue.severity === 'error' ? MESSAGE_TYPES.SchemaValidationError : MESSAGE_TYPES.SchemaWarning;
  const what = issue.path ? `${issue.path}: ${issue.message}` : issue.message;
  return {
    level: type.level,
    code: type.code,
    type: type.type,
    ...(issue.kind && issue.name ? { resource: { kind: issue.kind, namespace: issue.namespace ?? '', name: issue.name } } : {}),
    source: { file: issue.file, line: issue.line },
    message: `Schema validation ${issue.severity === 'error' ? 'error' : 'warning'}: ${what}`,
  };
}
