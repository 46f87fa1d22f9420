// Envoy's tag extraction: turns `cluster.httpbin.upstream_rq_503` into the tag-extracted
// name `cluster.upstream_rq` plus tags {envoy.response_code=503, envoy.cluster_name=httpbin}.
// Only sinks that understand tags (Prometheus) use it; /stats prints full names.
//
// Semantics follow Envoy's TagProducerImpl: every extractor looks at the ORIGINAL name
// (not at what earlier extractors left), the characters each one claims are removed at
// the end, extractors without a first-token prefix run before those keyed by the name's
// first token, and when several extractors share a tag name the first match wins.
import type { envoy } from '../../api/envoy-types.generated.js';
import { compileRe2 } from '../common/regex.js';

export interface Tag {
  name: string;
  value: string;
}

export interface ExtractedTags {
  extractedName: string;
  tags: Tag[];
}

export interface TagExtractor {
  extract(name: string): ExtractedTags;
}

interface Claim {
  value: string;
  start: number;
  end: number;
}

interface Extractor {
  readonly name: string;
  /** First dot-separated token a name must start with for this extractor to run; '' = any. */
  readonly prefix: string;
  /** Set when another extractor has the same tag name (then only the first match counts). */
  shared: boolean;
  match(name: string, tokens: () => string[]): Claim | undefined | 'fixed';
  readonly fixedValue?: string;
}

// Placeholders used by Envoy's default regexes (well_known_names.cc).
const TAG_VALUE = '[^\\.]+';
const PLACEHOLDERS: Record<string, string> = {
  '<ADDRESS>': '(?:(?:\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|\\[[a-fA-F_\\d]+\\])_\\d+)',
  '<CIPHER>': '[\\w-]+',
  '<TLS_VERSION>': 'TLSv\\d\\.\\d',
  '<TAG_VALUE>': TAG_VALUE,
  '<ROUTE_CONFIG_NAME>': '[\\w-\\./]+',
  '<SCOPED_ROUTE_CONFIG_NAME>': '[\\w-\\.]+',
  '<LISTENER_OR_CLUSTER_WITH_NAME>': '(?:listener|cluster)\\..*?',
  '<PROXY_PROTOCOL_VERSION>': '\\d',
};

const expand = (re: string) => re.replace(/<[A-Z_]+>/g, (p) => PLACEHOLDERS[p] ?? p);

/** Envoy's regex descriptors, in declaration order: [tag name, regex, negative-match value]. */
const DEFAULT_REGEXES: ReadonlyArray<readonly [string, string, string?]> = [
  ['envoy.response_code', '_rq(_(\\d{3}))$'],
  ['envoy.response_code_class', '_rq_((\\d))xx$'],
  ['envoy.dynamo_partition_id', '^http\\.<TAG_VALUE>\\.dynamodb\\.table\\.<TAG_VALUE>\\.capacity\\.<TAG_VALUE>(\\.__partition_id=(\\w{7}))$'],
  ['envoy.dynamo_operation', '^http\\.<TAG_VALUE>\\.dynamodb.(?:operation|table\\.<TAG_VALUE>\\.capacity)(\\.(<TAG_VALUE>))(?:\\.|$)'],
  ['envoy.dynamo_table', '^http\\.<TAG_VALUE>\\.dynamodb.(?:table|error)\\.((<TAG_VALUE>)\\.)'],
  ['envoy.ssl_cipher', '^listener\\..*?\\.ssl\\.ciphers(\\.(<CIPHER>))$'],
  ['envoy.ssl_curve', '^<LISTENER_OR_CLUSTER_WITH_NAME>\\.ssl\\.curves(\\.(<CIPHER>))$'],
  ['envoy.ssl_sigalg', '^<LISTENER_OR_CLUSTER_WITH_NAME>\\.ssl\\.sigalgs(\\.(<CIPHER>))$'],
  ['envoy.ssl_version', '^<LISTENER_OR_CLUSTER_WITH_NAME>\\.ssl\\.versions(\\.(<TLS_VERSION>))$'],
  // Envoy really names this one without the "envoy." prefix.
  ['cipher_suite', '^cluster\\.<TAG_VALUE>\\.ssl\\.ciphers(\\.(<CIPHER>))$'],
  ['envoy.http_conn_manager_prefix', '^listener\\..*?\\.http\\.((<TAG_VALUE>)\\.)'],
  ['envoy.worker_id', '^(?:listener\\.(?:<ADDRESS>|<TAG_VALUE>)|server|listener_manager|thread_local_cluster_manager)\\.worker_((\\d+)\\.)'],
  ['envoy.listener_address', '^listener\\.((<ADDRESS>|<TAG_VALUE>)\\.)', 'admin'],
  ['envoy.rds_route_config', '^http\\.<TAG_VALUE>\\.rds\\.((<ROUTE_CONFIG_NAME>)\\.)\\w+?$'],
  ['envoy.scoped_rds_config', '^http\\.<TAG_VALUE>\\.scoped_rds\\.((<SCOPED_ROUTE_CONFIG_NAME>)\\.)\\w+?$'],
  ['envoy.rbac_policy_name', '^http\\.<TAG_VALUE>\\.rbac\\.(?:<TAG_VALUE>\\.)?policy\\.((<TAG_VALUE>)\\.)(allowed|shadow_allowed|denied|shadow_denied)$'],
  ['envoy.rbac_http_prefix', '^http\\.<TAG_VALUE>\\.rbac\\.((<TAG_VALUE>)\\.).*?', 'policy'],
  ['envoy.proxy_protocol_prefix', '^proxy_proto\\.((<TAG_VALUE>)\\.).+$', 'versions'],
  ['envoy.proxy_protocol_version', '^proxy_proto\\.((?:<TAG_VALUE>\\.)?versions\\.v(<PROXY_PROTOCOL_VERSION>)\\.)\\w+$'],
];

/** Envoy's token patterns: `*` one token, `**` any run of tokens, `$` the tag value. */
const DEFAULT_TOKEN_PATTERNS: ReadonlyArray<readonly [string, string]> = [
  ['envoy.mongo_callsite', 'mongo.*.collection.*.callsite.$.query.**'],
  ['envoy.mongo_collection', 'mongo.*.collection.$.**.query.*'],
  ['envoy.mongo_cmd', 'mongo.*.cmd.$.**'],
  ['envoy.grpc_bridge_method', 'cluster.*.grpc.*.$.**'],
  ['envoy.http_user_agent', 'http.*.user_agent.$.**'],
  ['envoy.virtual_cluster', 'vhost.*.vcluster.$.**'],
  ['envoy.fault_downstream_cluster', 'http.*.fault.$.**'],
  ['envoy.grpc_bridge_service', 'cluster.*.grpc.$.**'],
  ['envoy.tcp_prefix', 'tcp.$.**'],
  ['envoy.udp_prefix', 'udp.$.**'],
  ['envoy.clientssl_prefix', 'auth.clientssl.$.**'],
  ['envoy.ratelimit_prefix', 'ratelimit.$.**'],
  ['envoy.cluster_name', 'cluster.$.**'],
  ['envoy.ext_authz_prefix', 'cluster.*.ext_authz.$.**'],
  ['envoy.ext_authz_prefix', 'http.*.ext_authz.$.**'],
  ['envoy.http_conn_manager_prefix', 'http.$.**'],
  ['envoy.virtual_host', 'vhost.$.**'],
  ['envoy.mongo_prefix', 'mongo.$.**'],
  ['envoy.route', 'vhost.*.route.$.**'],
  ['envoy.thrift_prefix', 'thrift.$.**'],
  ['envoy.redis_prefix', 'redis.$.**'],
  ['envoy.local_http_ratelimit_prefix', '$.http_local_rate_limit.**'],
  ['envoy.local_network_ratelimit_prefix', 'local_rate_limit.$.**'],
  ['envoy.local_listener_ratelimit_prefix', 'listener_local_ratelimit.$.**'],
  ['envoy.dns_filter_prefix', 'dns_filter.$.**'],
  ['envoy.connection_limit_prefix', 'connection_limit.$.**'],
  ['envoy.rbac_prefix', '$.rbac.**'],
  ['envoy.google_grpc_client_prefix', 'grpc.$.**'],
];

/** Envoy's extractRegexPrefix: `^word\.` or `^word(?=\.)` or `^word$` → "word"; else none. */
function regexPrefix(re: string): string {
  const m = /^\^([A-Za-z0-9_]+)(\\\.|\(\?=\\\.\)|\$$)/.exec(re);
  return m ? m[1]! : '';
}

// RE2 and std::regex know POSIX classes inside brackets; JavaScript does not.
const POSIX_CLASSES: Record<string, string> = {
  digit: '0-9', alpha: 'A-Za-z', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z',
  xdigit: '0-9A-Fa-f', space: '\\s', word: '\\w', punct: '!-\\/:-@\\[-`{-~',
};

function compileTagRegex(pattern: string): RegExp {
  const source = pattern.replace(/\[:([a-z]+):\]/g, (all, cls: string) => POSIX_CLASSES[cls] ?? all);
  const re = compileRe2(source, false);
  // `d` gives capture offsets: the first group's span is what gets removed from the name.
  return new RegExp(re.source, re.flags + 'd');
}

/**
 * `re2` extractors (the defaults) need a non-empty first group and fall back to it when the
 * second is empty; custom `stats_tags` go through std::regex in Envoy, which only needs a group.
 */
function regexExtractor(name: string, pattern: string, re2: boolean, negative = ''): Extractor {
  const regex = compileTagRegex(pattern);
  return {
    name,
    prefix: regexPrefix(pattern),
    shared: false,
    match(stat) {
      const m = regex.exec(stat);
      if (!m || m.length < 2 || !m.indices?.[1]) return undefined;
      const [start, end] = m.indices[1];
      if (re2 && start === end) return undefined;
      const value = m.length > 2 ? (re2 ? m[2] || m[1]! : (m[2] ?? '')) : m[1]!;
      if (negative !== '' && value === negative) return undefined;
      return { value, start, end };
    },
  };
}

function tokenExtractor(name: string, pattern: string): Extractor {
  const want = pattern.split('.');
  const dollar = want.indexOf('$');
  // Envoy's searchTags: true when the whole name fits the pattern; `found.at` gets the `$` token.
  const search = (input: string[], i: number, p: number, found: { at: number }): boolean => {
    for (; i < input.length && p < want.length; i++, p++) {
      if (p === dollar) {
        found.at = i;
        continue;
      }
      const w = want[p]!;
      if (w === '**') {
        if (p === want.length - 1) return true;
        // A `**` inside the pattern may swallow any run of tokens: try every split.
        for (let j = i; j < input.length; j++) if (search(input, j, p + 1, found)) return true;
        return false;
      }
      if (w !== '*' && w !== input[i]) return false;
    }
    return p === want.length && i === input.length;
  };
  const first = want[0]!;
  return {
    name,
    prefix: first === '$' || first === '*' || first === '**' ? '' : first,
    shared: false,
    match(_stat, tokens) {
      const input = tokens();
      const found = { at: -1 };
      if (!search(input, 0, 0, found) || found.at < 0) return undefined;
      const at = found.at;
      let start = 0;
      for (let k = 0; k < at; k++) start += input[k]!.length + 1;
      const value = input[at]!;
      let end = start + value.length;
      // Take the dot after the value, or the one before it when the value is the last token.
      if (at < input.length - 1) end++;
      else if (start > 0) start--;
      return { value, start, end };
    },
  };
}

function fixedExtractor(name: string, value: string): Extractor {
  return { name, prefix: '', shared: false, fixedValue: value, match: () => 'fixed' };
}

function defaultExtractors(): Extractor[] {
  return [
    ...DEFAULT_REGEXES.map(([n, re, neg]) => regexExtractor(n, expand(re), true, neg)),
    ...DEFAULT_TOKEN_PATTERNS.map(([n, p]) => tokenExtractor(n, p)),
  ];
}

const CACHE_LIMIT = 100_000;

class TagProducer implements TagExtractor {
  private readonly unprefixed: Extractor[] = [];
  private readonly byPrefix = new Map<string, Extractor[]>();
  private readonly byName = new Map<string, Extractor>();
  private readonly cache = new Map<string, ExtractedTags>();

  add(e: Extractor): void {
    const other = this.byName.get(e.name);
    if (other) other.shared = e.shared = true;
    else this.byName.set(e.name, e);
    if (e.prefix === '') this.unprefixed.push(e);
    else {
      let list = this.byPrefix.get(e.prefix);
      if (!list) this.byPrefix.set(e.prefix, (list = []));
      list.push(e);
    }
  }

  extract(name: string): ExtractedTags {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const result = this.compute(name);
    // Names repeat every scrape; a bound keeps churned names (removed clusters) from piling up.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(name, result);
    return result;
  }

  private compute(name: string): ExtractedTags {
    let tokens: string[] | undefined;
    const getTokens = () => (tokens ??= name.split('.'));
    const tags: Tag[] = [];
    const claims: Array<[number, number]> = [];
    const matched = new Set<string>();
    const dot = name.indexOf('.');
    const keyed = dot >= 0 ? (this.byPrefix.get(name.slice(0, dot)) ?? []) : [];
    for (const e of [...this.unprefixed, ...keyed]) {
      if (e.shared && matched.has(e.name)) continue;
      const m = e.match(name, getTokens);
      if (!m) continue;
      if (m === 'fixed') tags.push({ name: e.name, value: e.fixedValue! });
      else {
        tags.push({ name: e.name, value: m.value });
        claims.push([m.start, m.end]);
      }
      if (e.shared) matched.add(e.name);
    }
    return { extractedName: removeRanges(name, claims), tags };
  }
}

function removeRanges(name: string, ranges: Array<[number, number]>): string {
  if (ranges.length === 0) return name;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [s, e] of ranges) {
    if (s > pos) out += name.slice(pos, s);
    pos = Math.max(pos, e);
  }
  return out + name.slice(pos);
}

/**
 * Builds the tag extractor for a bootstrap's `stats_config`: Envoy's defaults (unless
 * `use_all_default_tags: false`) followed by `stats_tags` in order. Throws on bad config
 * with Envoy's messages.
 */
export function createTagExtractor(statsConfig?: envoy.config.metrics.v3.StatsConfig): TagExtractor {
  const producer = new TagProducer();
  if (statsConfig?.use_all_default_tags?.value !== false) for (const e of defaultExtractors()) producer.add(e);
  for (const [i, spec] of (statsConfig?.stats_tags ?? []).entries()) {
    const name = spec.tag_name ?? '';
    const where = `stats_config.stats_tags[${i}]`;
    if (name === '') throw new Error(`${where}: tag_name cannot be empty`);
    if (spec.fixed_value !== undefined) {
      producer.add(fixedExtractor(name, spec.fixed_value));
    } else if (spec.regex) {
      try {
        producer.add(regexExtractor(name, spec.regex, false));
      } catch (err) {
        throw new Error(`${where}.regex: invalid regex ${JSON.stringify(spec.regex)}: ${(err as Error).message}`);
      }
    } else {
      // No regex: Envoy falls back to its default extractors of that name.
      const defaults = defaultExtractors().filter((e) => e.name === name);
      if (defaults.length === 0) {
        throw new Error(`${where}: No regex specified for tag specifier and no default regex for name: '${name}'`);
      }
      for (const e of defaults) producer.add(e);
    }
  }
  return producer;
}

let defaultProducer: TagExtractor | undefined;

/** Tags from Envoy's default extractors only (no bootstrap `stats_config`). */
export function extractTags(name: string): ExtractedTags {
  defaultProducer ??= createTagExtractor();
  return defaultProducer.extract(name);
}
