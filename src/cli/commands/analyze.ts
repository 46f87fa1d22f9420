// `skein analyze DIR|FILE ...`: checks a folder of Istio/Kubernetes YAML before it is
// applied, and prints what it finds the way `istioctl analyze` does (same codes and
// wording, so istio.io's pages on each code apply).
import { parseCommandArgs } from '../args.js';
import { analyzeConfig, formatAnalysisMessage } from '../../discovery/config/analyze/index.js';
import { loadConfigDirs } from '../../discovery/config/load.js';

export const ANALYZE_USAGE = `Usage: skein analyze [options] DIR|FILE ...

Reads every Istio and Kubernetes object in the given folders (recursively: *.yaml,
*.yml, *.json) and files, and reports, like istioctl analyze:

  IST0106  schema errors: unknown fields, wrong types or values, missing fields,
           duplicate objects, invalid YAML (the object would be skipped)
  IST0133  schema warnings: kinds and fields skein does not support yet
  IST0101  references to what does not exist: a VirtualService's gateway, host,
           host:port or subset; a Gateway selector matching no workload
  IST0109  two VirtualServices claiming the same host on the same gateway (or mesh)
  IST0112  a gateway route to a multi-port service without a port
  IST0132  VirtualService hosts that no server of its Gateway accepts
  IST0173  a DestinationRule subset selecting no workload
  IST0174  a DestinationRule host matching no service

Workloads are the pod templates of Deployments and WorkloadEntries, plus the
ingress gateway \`skein mesh up\` adds (istio-system/istio-ingressgateway, labels
istio=ingressgateway, app=istio-ingressgateway) unless the config defines a
Deployment labelled istio=ingressgateway.

Exit code: 1 when anything is an error, 0 otherwise (warnings are printed).

  -o, --output FORMAT        log (default) or json
      --no-default-gateway   do not assume the default ingress gateway exists
  -h, --help                 show this help
`;

const usageError = (message: string): number => {
  process.stderr.write(`skein analyze: ${message}\n\n${ANALYZE_USAGE}`);
  return 2;
};

export async function analyzeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      output: { type: 'string', short: 'o' },
      'no-default-gateway': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  );
  if (!parsed.ok) return usageError(parsed.error);
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(ANALYZE_USAGE);
    return 0;
  }
  const output = values.output ?? 'log';
  if (output !== 'log' && output !== 'json') return usageError(`invalid --output "${output}" (expected log or json)`);
  if (positionals.length === 0) return usageError('nothing to analyze: give one or more folders or files');

  const { objects, issues } = await loadConfigDirs(positionals);
  // Problems with a path itself (missing, unreadable, no config files) are not about any resource.
  const pathIssues = issues.filter((i) => i.line === 0);
  const messages = analyzeConfig(objects, issues, { defaultIngressGateway: !values['no-default-gateway'] });
  const failed = messages.some((m) => m.level === 'Error') || pathIssues.some((i) => i.severity === 'error');

  if (output === 'json') {
    const report = {
      paths: positionals,
      messages: [...pathIssues.map((i) => ({ level: i.severity === 'error' ? 'Error' : 'Warning', path: i.file, message: i.message })), ...messages],
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  for (const i of pathIssues) process.stderr.write(`${i.severity === 'error' ? 'Error' : 'Warning'}: ${i.file}: ${i.message}\n`);
  for (const m of messages) process.stdout.write(formatAnalysisMessage(m) + '\n');
  const analyzed = positionals.join(' ');
  if (failed) {
    process.stderr.write(
      `Error: Analyzers found issues when analyzing ${analyzed}.\n` +
        'See https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.\n',
    );
    return 1;
  }
  if (messages.length === 0 && pathIssues.length === 0) process.stdout.write(`✔ No validation issues found when analyzing ${analyzed}.\n`);
  return 0;
}
