// Lazy proto loading: a proxy parses the bootstrap's import closure up front and
// every other file when a config names one of its types, with resolved field types
// and validate rules exactly as a full load has them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { fieldRules } from '../../../src/api/json/pgv.js';
import { BOOTSTRAP_PROTO } from '../../../src/api/proto/files.js';
import { findMessageType, LazyProtoRoot, messageType, messageTypeNames, protoRoot } from '../../../src/api/proto/root.js';
import { readCommittedTypeIndex, TypeLocator } from '../../../src/api/proto/type-index.js';
import { read, readErrors } from '../helpers.js';

const locator = new TypeLocator(readCommittedTypeIndex());
const fresh = () => new LazyProtoRoot(() => locator);
const has = (root: protobuf.Root, name: string) => root.lookup(name) !== null;

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';
const FILE_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const LISTENER = 'envoy.config.listener.v3.Listener';

function listenerWith(typedConfig: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'l',
    address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
    filter_chains: [{ filters: [{ name: 'hcm', typed_config: typedConfig }] }],
  };
}

describe('lazy proto root', () => {
  it('starts with the bootstrap and its imports only', () => {
    const lazy = fresh();
    assert.ok(lazy.root.files.some((f) => f.endsWith(BOOTSTRAP_PROTO)));
    assert.ok(has(lazy.root, 'envoy.config.bootstrap.v3.Bootstrap'));
    assert.ok(has(lazy.root, 'envoy.config.cluster.v3.Cluster'));
    assert.ok(!has(lazy.root, FAULT));
    assert.ok(!has(lazy.root, 'envoy.admin.v3.ConfigDump'));
    assert.ok(lazy.root.files.length < 150, `${lazy.root.files.length} files`);
    assert.equal(protoRoot().lookup('envoy.config.bootstrap.v3.Bootstrap'), messageType('envoy.config.bootstrap.v3.Bootstrap'));
  });

  it('loads a file not imported by the bootstrap, with its own imports resolved', () => {
    const lazy = fresh();
    const fault = lazy.findType(FAULT)!;
    assert.equal(fault.fullName, '.' + FAULT);
    const delay = fault.fields.delay!.resolvedType;
    assert.equal(delay?.fullName, '.envoy.extensions.filters.common.fault.v3.FaultDelay');
    assert.equal(fault.fields.abort!.resolvedType?.fullName, '.envoy.extensions.filters.http.fault.v3.FaultAbort');
    // A type the new file shares with the loaded ones is the same object, not a copy.
    assert.equal(fault.fields.headers!.resolvedType, lazy.findType('envoy.config.route.v3.HeaderMatcher'));
    assert.equal(lazy.findType(FAULT), fault);
  });

  it('keeps the validate rules on lazily loaded fields', () => {
    const abort = fresh().findType('envoy.extensions.filters.http.fault.v3.FaultAbort')!;
    assert.ok(abort.fields.http_status!.parsedOptions);
    assert.deepEqual(fieldRules(abort.fields.http_status!), { uint32: { lt: 600, gte: 200 } });
    assert.deepEqual(readErrors(FAULT, { abort: { http_status: 100, percentage: { numerator: 1 } } }), [
      'abort.http_status: value must be at least 200 and less than 600, got 100',
    ]);
    const fileLog = findMessageType(FILE_LOG)!;
    assert.deepEqual(fieldRules(fileLog.fields.path!), { string: { min_len: 1 } });
  });

  it('parses an HCM inside a listener, and a file access log inside the HCM', () => {
    const hcm = {
      '@type': `type.googleapis.com/${HCM}`,
      stat_prefix: 'in',
      route_config: { name: 'r' },
      http_filters: [{ name: 'fault', typed_config: { '@type': `type.googleapis.com/${FAULT}`, abort: { http_status: 503, percentage: { numerator: 1 } } } }],
      access_log: [{ name: 'file', typed_config: { '@type': `type.googleapis.com/${FILE_LOG}`, path: '/dev/stdout' } }],
    };
    const listener = read<any>(LISTENER, listenerWith(hcm));
    const parsed = listener.filter_chains[0].filters[0].typed_config;
    assert.equal(parsed['@type'], `type.googleapis.com/${HCM}`);
    assert.deepEqual(parsed.access_log[0].typed_config, { '@type': `type.googleapis.com/${FILE_LOG}`, path: '/dev/stdout' });
    assert.equal(parsed.http_filters[0].typed_config.abort.http_status, 503);
    const badLog = { ...hcm, http_filters: [], access_log: [{ name: 'file', typed_config: { '@type': `type.googleapis.com/${FILE_LOG}`, path: '' } }] };
    assert.deepEqual(readErrors(LISTENER, listenerWith(badLog)), [
      'filter_chains[0].filters[0].typed_config.access_log[0].typed_config.path: value is required (must not be empty)',
    ]);
  });

  it('loads the admin config_dump types, resolving to the bootstrap already loaded', () => {
    const lazy = fresh();
    const dump = lazy.findType('envoy.admin.v3.BootstrapConfigDump')!;
    assert.equal(dump.fields.bootstrap!.resolvedType, lazy.findType('envoy.config.bootstrap.v3.Bootstrap'));
    assert.equal(lazy.findType('envoy.admin.v3.ConfigDump')?.fields.configs?.resolvedType?.fullName, '.google.protobuf.Any');
    assert.equal(findMessageType('type.googleapis.com/envoy.admin.v3.ListenersConfigDump')?.name, 'ListenersConfigDump');
  });

  it('answers like a full root for other names', () => {
    const lazy = fresh();
    assert.equal(lazy.findType('envoy.config.cluster.v3.Cluster.LbPolicy'), undefined, 'an enum');
    assert.equal(lazy.findType('envoy.config'), undefined, 'a namespace');
    assert.equal(lazy.findType(''), undefined);
    assert.equal(lazy.findType('acme.Nope'), undefined);
    assert.equal(lazy.findType('.' + FAULT)?.fullName, '.' + FAULT);
    // protobufjs resolves relative names too; the file holding the match is loaded first.
    assert.equal(lazy.findType('http.fault.v3.FaultAbort')?.fullName, '.envoy.extensions.filters.http.fault.v3.FaultAbort');
    assert.equal(findMessageType('type.googleapis.com/envoy.config.trace.v3.OpenCensusConfig'), undefined, 'unloadable file');
  });

  it('offers every message name for hints, loaded or not', () => {
    const names = messageTypeNames();
    assert.ok(names.includes('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'));
    assert.ok(names.includes('google.protobuf.Any'));
    assert.ok(!names.includes('envoy.config.cluster.v3.Cluster.LbPolicy'));
  });

  it('keeps the unknown type URL errors', () => {
    const at = 'filter_chains[0].filters[0].typed_config.@type';
    assert.deepEqual(readErrors(LISTENER, listenerWith({ '@type': 'type.googleapis.com/acme.Nope' })), [
      `${at}: unknown type URL "type.googleapis.com/acme.Nope"`,
    ]);
    assert.deepEqual(readErrors(LISTENER, listenerWith({ '@type': 'type.googleapis.com/envoy.config.filter.network.http_connection_manager.v2.HttpConnectionManager' })), [
      `${at}: unknown type URL "type.googleapis.com/envoy.config.filter.network.http_connection_manager.v2.HttpConnectionManager": Envoy's v2 API is not supported; use the v3 type`,
    ]);
  });

  // from-json.ts builds its hints by walking the Root, which now holds only the
  // files loaded so far; it should take messageTypeNames() instead.
  it('suggests a type whose file is not loaded yet', () => {
    const url = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBA';
    assert.deepEqual(readErrors(LISTENER, listenerWith({ '@type': url })), [
      `filter_chains[0].filters[0].typed_config.@type: unknown type URL "${url}" (did you mean "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"?)`,
    ]);
  });

  it('says so when the index points at the wrong file', () => {
    const wrong = new TypeLocator({ sources: {}, files: { 'envoy/type/v3/percent.proto': { messages: ['envoy.type.v3.Nope'] } } });
    const lazy = new LazyProtoRoot(() => wrong);
    assert.throws(() => lazy.findType('envoy.type.v3.Nope'), /type index is stale: envoy.type.v3.Nope is not in envoy\/type\/v3\/percent.proto/);
  });

  it('loads everything when there is no index to trust', () => {
    const lazy = new LazyProtoRoot(() => undefined);
    assert.equal(lazy.findType(FAULT)?.fullName, '.' + FAULT);
    assert.equal(lazy.fullyLoaded, true);
    assert.deepEqual(lazy.messageNames(), locator.messageNames());
  });
});
