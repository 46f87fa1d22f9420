// DESIGN.md §4.5: stats are declared with Envoy's names. For every declared tree this checks
// (a) each name skein declares is one of Envoy's, with Envoy's type (counter/gauge/histogram),
// unless it is listed below as a deliberate skein addition; and (b) each name Envoy lists for
// that tree is declared, unless it is listed below with the reason it is not (yet).
// The Envoy lists, and where they come from, are in envoy_stat_names.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIRCUIT_BREAKER_STATS, CLUSTER_MANAGER_STATS, CLUSTER_STATS } from '../../../src/proxy/upstream/cluster_stats.js';
import { HCM_LISTENER_STATS, HCM_STATS, HTTP1_CODEC_STATS } from '../../../src/proxy/network/http_connection_manager/stats.js';
import { LISTENER_STATS } from '../../../src/proxy/listener/listener.js';
import { FAULT_DOWNSTREAM_CLUSTER_STATS, FAULT_STATS } from '../../../src/proxy/filters/fault/stats.js';
import { CORS_STATS } from '../../../src/proxy/filters/cors/stats.js';
import { LISTENER_MANAGER_STATS, SERVER_STATS } from '../../../src/proxy/server/server_stats.js';
import * as envoy from './envoy_stat_names.js';
import type { StatNames, StatType } from './envoy_stat_names.js';

interface Tree {
  /** The stat prefix, for messages. */
  tree: string;
  declared: { declarations: StatNames };
  /** Envoy's names for this tree: docs first, then names only Envoy's source has. */
  envoy: StatNames[];
  /** Declared names that are not Envoy's, each with why skein adds it. */
  skeinOnly: Record<string, string>;
  /** Envoy's names that skein does not declare, each with why. */
  notDeclared: Record<string, string>;
}

const TREES: Tree[] = [
  {
    tree: 'cluster.<name>.',
    declared: CLUSTER_STATS,
    envoy: [envoy.CLUSTER_DOC, envoy.CLUSTER_SOURCE_ONLY],
    skeinOnly: {},
    notDeclared: {
      upstream_cx_preconnect_blocked: 'preconnect (preconnect_policy) is not implemented',
      upstream_cx_preconnect_skipped: 'preconnect (preconnect_policy) is not implemented',
      upstream_cx_preconnect_started: 'preconnect (preconnect_policy) is not implemented',
      upstream_rq_active_overflow:
        'Envoy 1.38 split max_requests overflow out of upstream_rq_pending_overflow; skein still counts it there (pre-1.38 accounting)',
      upstream_rq_rx_reset_no_error: 'needs an HTTP/2 RST_STREAM NO_ERROR; upstreams are HTTP/1.1 only',
      upstream_rq_0rtt: 'early data needs HTTP/3 upstreams, which are not implemented',
      config_reload: 'xDS subscription stat (EDS); xDS is not implemented',
      update_duration: 'xDS subscription stat (EDS); xDS is not implemented',
      assignment_use_cached: 'EDS resource caching; EDS is not implemented',
      warming_state: 'cluster warming (CDS) is not implemented: static clusters are active at once',
      lb_connection_aware_selected_cold: 'connection-aware host selection is not implemented',
      lb_connection_aware_skipped_cold: 'connection-aware host selection is not implemented',
      lb_subsets_single_host_per_subset_duplicate: 'subset load balancing is not implemented',
      upstream_rq_per_cx: 'gap: HTTP/1.1 pools exist but requests per connection are not recorded yet',
      upstream_rq_time: 'dynamic HTTP stat: created on first response by cluster_info.ts (as Envoy creates it lazily)',
      upstream_rq_timeout_budget_percent_used: 'track_timeout_budgets is not implemented',
      upstream_rq_timeout_budget_per_try_percent_used: 'track_timeout_budgets is not implemented',
      upstream_rq_headers_size: 'track_cluster_stats.request_response_sizes is not implemented',
      upstream_rq_headers_count: 'track_cluster_stats.request_response_sizes is not implemented',
      upstream_rq_body_size: 'track_cluster_stats.request_response_sizes is not implemented',
      upstream_rs_headers_size: 'track_cluster_stats.request_response_sizes is not implemented',
      upstream_rs_headers_count: 'track_cluster_stats.request_response_sizes is not implemented',
      upstream_rs_body_size: 'track_cluster_stats.request_response_sizes is not implemented',
    },
  },
  {
    tree: 'cluster.<name>.circuit_breakers.<priority>.',
    declared: CIRCUIT_BREAKER_STATS,
    envoy: [envoy.CIRCUIT_BREAKERS_DOC, envoy.CIRCUIT_BREAKERS_SOURCE_ONLY],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'cluster_manager.',
    declared: CLUSTER_MANAGER_STATS,
    envoy: [envoy.CLUSTER_MANAGER_DOC],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'http.<stat_prefix>. (connection manager and router)',
    declared: HCM_STATS,
    envoy: [envoy.HCM_DOC, envoy.HCM_SOURCE_ONLY, envoy.ROUTER_DOC, envoy.ROUTER_SOURCE_ONLY],
    skeinOnly: {},
    notDeclared: {
      rq_overload_local_reply: 'the overload manager (and its load-shed points) is not implemented',
    },
  },
  {
    tree: 'http.<stat_prefix>.fault.',
    declared: FAULT_STATS,
    envoy: [envoy.FAULT_DOC],
    skeinOnly: {},
    notDeclared: {
      response_rl_injected: 'response_rate_limit is not implemented (the fault filter rejects it)',
    },
  },
  {
    tree: 'http.<stat_prefix>.fault.<downstream-cluster>.',
    declared: FAULT_DOWNSTREAM_CLUSTER_STATS,
    envoy: [envoy.FAULT_DOWNSTREAM_CLUSTER_DOC],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'http.<stat_prefix>.cors.',
    declared: CORS_STATS,
    envoy: [envoy.CORS_DOC],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'listener.<address>.http.<stat_prefix>.',
    declared: HCM_LISTENER_STATS,
    envoy: [envoy.HCM_LISTENER_DOC],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'http1.',
    declared: HTTP1_CODEC_STATS,
    envoy: [envoy.HTTP1_CODEC_DOC, envoy.HTTP1_CODEC_SOURCE_ONLY],
    skeinOnly: {},
    notDeclared: {
      protocol_error: 'undocumented codec counter; skein counts codec errors in http.<prefix>.downstream_cx_protocol_error only',
    },
  },
  {
    tree: 'listener.<address>.',
    declared: LISTENER_STATS,
    envoy: [envoy.LISTENER_DOC],
    skeinOnly: {},
    notDeclared: {
      global_cx_overflow:
        "documented next to downstream_global_cx_overflow but absent from Envoy's ALL_LISTENER_STATS; skein declares the source's name",
      connections_accepted_per_socket_event: "node's net.Server hides the accept loop, so accepts per socket event cannot be measured",
    },
  },
  {
    tree: 'listener_manager.',
    declared: LISTENER_MANAGER_STATS,
    envoy: [envoy.LISTENER_MANAGER_DOC],
    skeinOnly: {},
    notDeclared: {},
  },
  {
    tree: 'server.',
    declared: SERVER_STATS,
    envoy: [envoy.SERVER_DOC, envoy.SERVER_SOURCE_ONLY],
    skeinOnly: {},
    notDeclared: {},
  },
];

/** Documented trees skein declares nothing for, and why. */
const UNDECLARED_TREES: Array<[string, StatNames, string]> = [
  ['http.<stat_prefix>.tracing.', envoy.HCM_TRACING_DOC, 'tracing is not implemented'],
  ['http.<stat_prefix>.user_agent.<user_agent>.', envoy.HCM_USER_AGENT_DOC, 'per user agent stats are not implemented'],
  ['http2.', envoy.HTTP2_CODEC_DOC, 'HTTP/2 is not implemented'],
  ['http3.', envoy.HTTP3_CODEC_DOC, 'HTTP/3 is not implemented'],
  ['listener.<address>.<handler>.', envoy.LISTENER_PER_HANDLER_DOC, 'gap: per-worker listener stats are not emitted yet'],
  ['server.compilation_settings.', envoy.SERVER_COMPILATION_SETTINGS_DOC, 'no FIPS build; the tree is not emitted'],
  ['cluster.<name>.ring_hash_lb.', envoy.RING_HASH_LB_DOC, 'gap: the ring hash LB is implemented but does not emit its stats yet'],
  ['cluster.<name>.maglev_lb.', envoy.MAGLEV_LB_DOC, 'gap: the Maglev LB is implemented but does not emit its stats yet'],
  ['cluster.<name>.health_check.', envoy.HEALTH_CHECK_DOC, 'active health checking is not implemented'],
  ['cluster.<name>.outlier_detection.', envoy.OUTLIER_DETECTION_DOC, 'outlier detection is not implemented'],
  ['thread_local_cluster_manager.<worker_id>.', envoy.THREAD_LOCAL_CLUSTER_MANAGER_DOC, 'deferred cluster creation is not implemented'],
  // Not transcribed: listener.<address>.ssl.*, cluster.<name>.ssl.*, their certificate trees and
  // tcp_stats.* (TLS and the tcp_stats transport socket are not implemented).
];

const TYPES: Array<[keyof StatNames, StatType]> = [['counters', 'counter'], ['gauges', 'gauge'], ['histograms', 'histogram']];

function typeIndex(lists: StatNames[]): Map<string, StatType[]> {
  const out = new Map<string, StatType[]>();
  for (const list of lists) {
    for (const [key, type] of TYPES) for (const name of list[key]) out.set(name, [...(out.get(name) ?? []), type]);
  }
  return out;
}

for (const t of TREES) {
  const declared = typeIndex([t.declared.declarations]);
  const reference = typeIndex(t.envoy);

  test(`${t.tree}: every declared name is Envoy's, with Envoy's type`, () => {
    const problems: string[] = [];
    for (const [name, types] of declared) {
      if (types.length > 1) problems.push(`${name} is declared more than once (${types.join(', ')})`);
      const envoyTypes = reference.get(name);
      if (!envoyTypes) {
        if (!(name in t.skeinOnly)) problems.push(`${name} (${types[0]}) is not an Envoy stat of this tree`);
      } else if (!envoyTypes.includes(types[0]!)) {
        problems.push(`${name} is declared as a ${types[0]}; Envoy's is a ${envoyTypes.join('/')}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test(`${t.tree}: every Envoy name is declared, or listed with a reason`, () => {
    const problems: string[] = [];
    for (const [name, envoyTypes] of reference) {
      const types = declared.get(name);
      if (types?.some((ty) => envoyTypes.includes(ty))) continue;
      if (!(name in t.notDeclared)) problems.push(`Envoy's ${envoyTypes[0]} ${name} is not declared`);
    }
    assert.deepEqual(problems, []);
  });

  test(`${t.tree}: the exception lists are current`, () => {
    const problems: string[] = [];
    for (const [name, reason] of Object.entries(t.notDeclared)) {
      if (!reason.trim()) problems.push(`notDeclared.${name} has no reason`);
      if (!reference.has(name)) problems.push(`notDeclared.${name} is not an Envoy name of this tree`);
      if (declared.has(name)) problems.push(`notDeclared.${name} is declared now: drop it from the list`);
    }
    for (const [name, reason] of Object.entries(t.skeinOnly)) {
      if (!reason.trim()) problems.push(`skeinOnly.${name} has no reason`);
      if (reference.has(name)) problems.push(`skeinOnly.${name} is an Envoy name: drop it from the list`);
      if (!declared.has(name)) problems.push(`skeinOnly.${name} is not declared`);
    }
    assert.deepEqual(problems, []);
  });

  test(`${t.tree}: no name is in two Envoy reference lists`, () => {
    // A name in two lists is a transcription slip (or a type conflict between docs and source).
    const twice = [...reference].filter(([, types]) => types.length > 1).map(([n, types]) => `${n}: ${types.join(', ')}`);
    assert.deepEqual(twice, []);
  });
}

test('documented trees skein does not declare have a reason and a non-empty reference list', () => {
  for (const [tree, names, reason] of UNDECLARED_TREES) {
    assert.ok(reason.trim(), `${tree} needs a reason`);
    assert.ok(names.counters.length + names.gauges.length + names.histograms.length > 0, `${tree} has no names`);
  }
});
