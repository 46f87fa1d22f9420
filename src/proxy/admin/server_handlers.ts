// Server-level admin endpoints: help, readiness, server info, logging levels,
// draining and quitting, runtime, certificates, health-check failing.
import { isLogLevel, logRegistry } from '../../common/logger.js';
import { reopenAll } from '../observability/access_log/index.js';
import { certsReport } from '../tls/certs_report.js';
import { json, text, type AdminHandler, type AdminRequest, type AdminResponse } from './handlers.js';

function loggingListing(): string {
  return 'active loggers:\n' + logRegistry.components().map(([c, l]) => `  ${c}: ${l}\n`).join('');
}

function loggingUsage(): string {
  return 'usage: /logging?<name>=<level> (change single level)\nusage: /logging?paths=name1:level1,name2:level2,... (change multiple levels)\nusage: /logging?level=<level> (change all levels)\nlevels: trace debug info warning error critical off\n';
}

function changeLogging(req: AdminRequest): AdminResponse {
  const q = req.query;
  if ([...q.keys()].length === 0) return text(loggingListing());
  const level = q.get('level');
  if (level !== null) {
    if (!isLogLevel(level)) return text(`error: unknown logger level\n${loggingUsage()}`, 404);
    req.server.setLogLevel(undefined, level);
    return text(loggingListing());
  }
  const paths = q.get('paths');
  if (paths !== null) {
    for (const pair of paths.split(',')) {
      const [name, lvl] = pair.split(':');
      if (!name || !lvl || !isLogLevel(lvl) || !logRegistry.components().some(([c]) => c === name)) {
        return text(`error: unknown logger name or level in "${pair}"\n${loggingUsage()}`, 404);
      }
      req.server.setLogLevel(name, lvl);
    }
    return text(loggingListing());
  }
  const [name, lvl] = [...q.entries()][0]!;
  if (!logRegistry.components().some(([c]) => c === name)) return text(`error: unknown logger name\n${loggingUsage()}`, 404);
  if (!isLogLevel(lvl)) return text(`error: unknown logger level\n${loggingUsage()}`, 404);
  req.server.setLogLevel(name, lvl);
  return text(loggingListing());
}

export const SERVER_HANDLERS: AdminHandler[] = [
  {
    path: '/',
    help: 'Admin home page',
    mutates: false,
    handle: (req) => ({
      status: 200,
      contentType: 'text/html; charset=UTF-8',
      body: `<html><head><title>skein admin</title></head><body><h1>skein admin</h1><ul>${req.admin
        .helpText()
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const [path, ...help] = l.trim().split(': ');
          return `<li><a href="${path}">${path}</a>: ${help.join(': ')}</li>`;
        })
        .join('')}</ul></body></html>\n`,
    }),
  },
  { path: '/help', help: 'print out list of admin commands', mutates: false, handle: (req) => text(req.admin.helpText()) },
  {
    path: '/ready',
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    mutates: false,
    handle: (req) => text(`${req.server.state}\n`, req.server.state === 'LIVE' ? 200 : 503),
  },
  { path: '/server_info', help: 'print server version/status information', mutates: false, handle: (req) => json(req.server.serverInfo()) },
  {
    path: '/logging',
    help: 'query/change logging levels',
    // Envoy only takes POST here; skein also lists levels on GET (changes need POST).
    mutates: false,
    handle: (req) => {
      if (req.method !== 'POST') {
        if ([...req.query.keys()].length) return text(`Method ${req.method} not allowed, POST required.`, 405);
        return text(loggingListing());
      }
      return changeLogging(req);
    },
  },
  {
    path: '/drain_listeners',
    help: 'drain listeners (?inboundonly: only inbound; ?graceful: drain for --drain-time-s first)',
    mutates: true,
    async handle(req) {
      const drainMs = req.server.options.drainTimeS * 1000;
      await req.server.workers.drainListeners({ inboundOnly: req.query.has('inboundonly'), graceful: req.query.has('graceful'), drainMs });
      if (!req.query.has('inboundonly')) req.server.setState('DRAINING');
      return text('OK\n');
    },
  },
  {
    path: '/quitquitquit',
    help: 'exit the server',
    mutates: true,
    handle: (req) => ({
      status: 200,
      body: 'OK\n',
      after: () => {
        void req.server.shutdown('admin /quitquitquit').then(() => process.exit(0));
      },
    }),
  },
  {
    path: '/healthcheck/fail',
    help: 'cause the server to fail health checks',
    mutates: true,
    handle: (req) => {
      req.server.healthCheckFailed = true;
      return text('OK\n');
    },
  },
  {
    path: '/healthcheck/ok',
    help: 'cause the server to pass health checks',
    mutates: true,
    handle: (req) => {
      req.server.healthCheckFailed = false;
      return text('OK\n');
    },
  },
  {
    path: '/runtime',
    help: 'print runtime values',
    mutates: false,
    handle: (req) =>
      json({
        layers: ['static_layer', 'admin'],
        entries: Object.fromEntries(req.server.runtime.entries().map(([k, v]) => [k, { final_value: String(v), layer_values: [String(v)] }])),
      }),
  },
  {
    path: '/runtime_modify',
    help: 'Adds or modifies runtime values as passed in query parameters. To delete a previously added key, use an empty string as the value.',
    mutates: true,
    handle: (req) => {
      if ([...req.query.keys()].length === 0) return text('usage: /runtime_modify?key1=value1&key2=value2&keyN=valueN\n', 400);
      for (const [k, v] of req.query) req.server.runtime.setAdmin(k, v);
      return text('OK\n');
    },
  },
  {
    path: '/certs',
    help: 'print certs on machine',
    mutates: false,
    handle: () => json(certsReport()),
  },
  { path: '/hot_restart_version', help: 'print the hot restart compatibility version', mutates: false, handle: () => text('disabled\n') },
  {
    path: '/reopen_logs',
    help: 'reopen access logs',
    mutates: true,
    handle: () => {
      reopenAll();
      return text('OK\n');
    },
  },
];
