// envoy.config.accesslog.v3.AccessLogFilter: decides per request whether a logger
// writes a line. The filter tree is compiled once per config into plain predicates.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { compileStringMatcher } from '../../common/matchers.js';
import { HeaderMap } from '../../http/header_map.js';
import { compileHeaderMatcher } from '../../http/route/header_matcher.js';
import type { StreamInfo } from '../../http/stream_info.js';
import { RESPONSE_FLAGS, type ResponseFlag } from '../../http/stream_info.js';
import { GRPC_STATUS_NAMES, grpcStatusOf } from '../formatter/grpc_status.js';
import type { FormatContext } from '../formatter/types.js';
import type { AccessLogFactoryContext } from './types.js';

export type AccessLogPredicate = (ctx: FormatContext) => boolean;
type Filter = envoy.config.accesslog.v3.AccessLogFilter;
type ValuePredicate = (v: unknown) => boolean;

const EMPTY_HEADERS = new HeaderMap();
const SHORT_TO_FLAG = new Map(Object.entries(RESPONSE_FLAGS).map(([long, short]) => [short as string, long as ResponseFlag]));
const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

/** StreamInfo facts not tracked yet (read when present, like the formatter does). */
const healthCheckOf = (si: StreamInfo) => (si as StreamInfo & { healthCheck?: boolean }).healthCheck === true;

function comparison(
  cmp: envoy.config.accesslog.v3.ComparisonFilter | undefined,
  path: string,
  owner: object,
  actx: AccessLogFactoryContext,
): (actual: number) => boolean {
  if (!cmp) throw ConfigError.single(`${path}.comparison`, 'comparison is required', spanOf(owner));
  const fallback = cmp.value?.default_value ?? 0;
  const key = cmp.value?.runtime_key;
  const runtime = actx.runtime;
  const threshold = () => (key && runtime ? runtime.getNumber(key, fallback) : fallback);
  switch (cmp.op ?? 'EQ') {
    case 'EQ': return (a) => a === threshold();
    case 'GE': return (a) => a >= threshold();
    case 'LE': return (a) => a <= threshold();
    default: throw ConfigError.single(`${path}.comparison.op`, `unknown op ${String(cmp.op)}`, spanOf(cmp));
  }
}

/** The request id's leading hex digits: Envoy samples on them so one request decides alike everywhere. */
function requestIdValue(ctx: FormatContext): number | undefined {
  const rid = ctx.requestHeaders?.get('x-request-id') ?? ctx.streamInfo.requestId;
  if (!rid || !/^[0-9a-fA-F]{8}/.test(rid)) return undefined;
  return parseInt(rid.slice(0, 8), 16);
}

function runtimeFilter(f: envoy.config.accesslog.v3.RuntimeFilter, path: string, actx: AccessLogFactoryContext): AccessLogPredicate {
  const key = f.runtime_key ?? '';
  if (!key) throw ConfigError.single(`${path}.runtime_key`, 'runtime_key is required', spanOf(f));
  const denominator = DENOMINATORS[f.percent_sampled?.denominator ?? 'HUNDRED'];
  const numerator = f.percent_sampled?.numerator ?? 0;
  const independent = f.use_independent_randomness === true;
  const random = actx.random ?? Math.random;
  return (ctx) => {
    const wanted = actx.runtime ? actx.runtime.getNumber(key, numerator) : numerator;
    const fromId = independent ? undefined : requestIdValue(ctx);
    const draw = fromId ?? Math.floor(random() * denominator);
    return draw % denominator < wanted;
  };
}

function compileValueMatcher(m: envoy.type.matcher.v3.ValueMatcher | undefined, path: string): ValuePredicate {
  if (!m) throw ConfigError.single(path, 'value matcher is required', undefined);
  if (m.null_match !== undefined) return (v) => v === null;
  if (m.bool_match !== undefined) return (v) => v === m.bool_match;
  if (m.present_match !== undefined) return (v) => (v !== undefined) === m.present_match;
  if (m.string_match !== undefined) {
    const test = compileStringMatcher(m.string_match, `${path}.string_match`);
    return (v) => typeof v === 'string' && test(v);
  }
  if (m.double_match !== undefined) {
    const { exact, range } = m.double_match;
    if (exact !== undefined) return (v) => v === exact;
    const start = range?.start ?? -Infinity;
    const end = range?.end ?? Infinity;
    return (v) => typeof v === 'number' && v >= start && v < end;
  }
  if (m.list_match !== undefined) {
    const one = compileValueMatcher(m.list_match.one_of, `${path}.list_match.one_of`);
    return (v) => Array.isArray(v) && v.some(one);
  }
  if (m.or_match !== undefined) {
    const any = (m.or_match.value_matchers ?? []).map((x, i) => compileValueMatcher(x, `${path}.or_match.value_matchers[${i}]`));
    return (v) => any.some((p) => p(v));
  }
  throw ConfigError.single(path, 'value matcher needs one of null_match, double_match, string_match, bool_match, present_match, list_match, or_match', spanOf(m));
}

function metadataFilter(f: envoy.config.accesslog.v3.MetadataFilter, path: string): AccessLogPredicate {
  const matchIfMissing = f.match_if_key_not_found?.value ?? true;
  if (!f.matcher) return () => matchIfMissing;
  const ns = f.matcher.filter ?? '';
  const keys = (f.matcher.path ?? []).map((s) => s.key ?? '');
  const test = compileValueMatcher(f.matcher.value, `${path}.matcher.value`);
  const invert = f.matcher.invert === true;
  return (ctx) => {
    let v: unknown = ctx.streamInfo.dynamicMetadata[ns];
    for (const k of keys) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    if (v === undefined) return matchIfMissing;
    return test(v) !== invert;
  };
}

function responseFlagFilter(f: envoy.config.accesslog.v3.ResponseFlagFilter, path: string): AccessLogPredicate {
  const wanted = (f.flags ?? []).map((short, i) => {
    const flag = SHORT_TO_FLAG.get(short);
    if (!flag) {
      throw ConfigError.single(`${path}.flags[${i}]`, `unknown response flag "${short}" (known: ${[...SHORT_TO_FLAG.keys()].join(', ')})`, spanOf(f));
    }
    return flag;
  });
  if (wanted.length === 0) return (ctx) => ctx.streamInfo.responseFlags().length > 0;
  return (ctx) => wanted.some((flag) => ctx.streamInfo.hasResponseFlag(flag));
}

function grpcStatusFilter(f: envoy.config.accesslog.v3.GrpcStatusFilter): AccessLogPredicate {
  const codes = new Set((f.statuses ?? []).map((s) => GRPC_STATUS_NAMES.indexOf(s)));
  const exclude = f.exclude === true;
  return (ctx) => codes.has(grpcStatusOf(ctx) ?? 2 /* UNKNOWN */) !== exclude;
}

/** UUID request ids carry Envoy's trace decision in the version nibble; 'a' means forced. */
function isForcedTrace(ctx: FormatContext): boolean {
  const rid = ctx.requestHeaders?.get('x-request-id') ?? ctx.streamInfo.requestId;
  return rid !== undefined && rid.length === 36 && rid[14] === 'a';
}

export function compileAccessLogFilter(f: Filter, path: string, actx: AccessLogFactoryContext = {}): AccessLogPredicate {
  const set = Object.keys(f).filter((k) => (f as Record<string, unknown>)[k] !== undefined);
  if (set.length !== 1) {
    throw ConfigError.single(path, set.length ? `only one filter may be set per entry, got ${set.join(', ')}` : 'an access log filter must set one filter', spanOf(f));
  }
  if (f.status_code_filter) {
    const test = comparison(f.status_code_filter.comparison, `${path}.status_code_filter`, f.status_code_filter, actx);
    return (ctx) => test(ctx.streamInfo.responseCode ?? 0);
  }
  if (f.duration_filter) {
    const test = comparison(f.duration_filter.comparison, `${path}.duration_filter`, f.duration_filter, actx);
    return (ctx) => test(Math.floor(ctx.streamInfo.durationMs() ?? ctx.streamInfo.elapsedMs()));
  }
  if (f.not_health_check_filter) return (ctx) => !healthCheckOf(ctx.streamInfo);
  if (f.traceable_filter) return isForcedTrace;
  if (f.runtime_filter) return runtimeFilter(f.runtime_filter, `${path}.runtime_filter`, actx);
  if (f.and_filter || f.or_filter) {
    const which = f.and_filter ? 'and_filter' : 'or_filter';
    const subs = (f.and_filter ?? f.or_filter)!.filters ?? [];
    if (subs.length < 2) throw ConfigError.single(`${path}.${which}.filters`, 'needs at least 2 filters', spanOf(f));
    const preds = subs.map((s, i) => compileAccessLogFilter(s, `${path}.${which}.filters[${i}]`, actx));
    return which === 'and_filter' ? (ctx) => preds.every((p) => p(ctx)) : (ctx) => preds.some((p) => p(ctx));
  }
  if (f.header_filter) {
    if (!f.header_filter.header) throw ConfigError.single(`${path}.header_filter.header`, 'header is required', spanOf(f));
    const test = compileHeaderMatcher(f.header_filter.header, `${path}.header_filter.header`);
    return (ctx) => test(ctx.requestHeaders ?? EMPTY_HEADERS);
  }
  if (f.response_flag_filter) return responseFlagFilter(f.response_flag_filter, `${path}.response_flag_filter`);
  if (f.grpc_status_filter) return grpcStatusFilter(f.grpc_status_filter);
  if (f.metadata_filter) return metadataFilter(f.metadata_filter, `${path}.metadata_filter`);
  throw ConfigError.single(`${path}.${set[0]}`, `access log filter ${set[0]} is not supported by skein`, spanOf(f));
}
