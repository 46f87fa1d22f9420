// `skein proxy`: the Envoy-compatible proxy.
import { ConfigError, formatIssue } from '../../api/json/issues.js';
import { logger, logRegistry, normalizeLevel } from '../../common/logger.js';
import { SKEIN_VERSION } from '../../common/version.js';
import { flushAll } from '../../proxy/observability/access_log/index.js';
import { OptionsError, parseProxyOptions, PROXY_USAGE } from '../../proxy/server/options.js';
import { releaseOptimizer } from '../../proxy/server/optimizer_hold.js';
import { Server } from '../../proxy/server/server.js';
import fs from 'node:fs';

const log = logger('main');

export async function proxyCommand(argv: string[]): Promise<number> {
  let options;
  try {
    const parsed = parseProxyOptions(argv);
    if (parsed === 'help') {
      process.stdout.write(PROXY_USAGE);
      return 0;
    }
    if (parsed === 'version') {
      process.stdout.write(`skein version: ${SKEIN_VERSION} (Envoy v3 API compatible)\n`);
      return 0;
    }
    options = parsed;
    logRegistry.setAll(normalizeLevel(options.logLevel));
    if (options.componentLogLevel) logRegistry.applyComponentLevels(options.componentLogLevel);
    logRegistry.format = options.logFormat;
    if (options.logPath) {
      const out = fs.createWriteStream(options.logPath, { flags: 'a' });
      logRegistry.sink = (line) => out.write(line + '\n');
    }
  } catch (err) {
    if (err instanceof OptionsError || err instanceof Error) {
      process.stderr.write(`skein proxy: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const server = new Server(options);
  if (!options.configPath && !options.configYaml) {
    process.stderr.write('skein proxy: At least one of --config-path (-c) or --config-yaml should be non-empty (see skein proxy --help)\n');
    return 1;
  }
  const where = options.configPath ?? '--config-yaml';
  if (options.mode === 'validate') {
    try {
      server.validate();
      process.stdout.write(`configuration '${where}' OK\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`error initializing configuration '${where}':\n${err.issues.map((i) => '  ' + formatIssue(i)).join('\n')}\n`);
      return 1;
    }
  }
  try {
    await server.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.critical(`error initializing configuration '${where}':\n${err.issues.map((i) => '  ' + formatIssue(i)).join('\n')}`);
    } else {
      log.critical(`error initializing: ${(err as Error).message}`);
    }
    await server.shutdown('startup failed').catch(() => undefined);
    return 1;
  }
  if (options.mode === 'init_only') {
    await server.shutdown('init_only');
    return 0;
  }
  // Serving: requests get the optimizing compiler that start-up went without.
  releaseOptimizer();
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      void server
        .shutdown(signal)
        .then(() => flushAll())
        .then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
