// A whole folder → snapshots: the union of every file's last good version, held
// consistent (no duplicate names, no dangling RDS/EDS references), versioned with a
// counter and a content hash, and never losing good resources to a broken edit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../../src/api/xds/resource_types.js';
import type { Snapshot } from '../../../../src/discovery/xds/cache/snapshot.js';
import { describeCounts, ResourceFolder } from '../../../../src/discovery/xds/file_source/folder.js';
import { cluster, endpoints, folderWith, GOOD, LISTENER, lines, route, writeFiles } from './fixtures.js';

const portOf = (s: Snapshot | undefined, name = 'service') =>
  (s!.resources(ENDPOINT_TYPE).get(name)!.resource as any).endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;

const issuesOf = (folder: ResourceFolder, rel: string) => folder.status().find((f) => f.file === path.join(folder.dir, rel))!;

describe('xDS folder: loading', () => {
  it('serves a good folder (recursively) as one consistent snapshot', () => {
    const dir = folderWith({ 'listener.yaml': LISTENER, 'route.yaml': route(), 'clusters/cluster.yaml': cluster(), 'clusters/eps.json': JSON.stringify({ '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', cluster_name: 'service' }), 'README.md': '# not a resource', '.hidden.yaml': 'not: parsed' });
    const folder = new ResourceFolder(dir);
    const { snapshot, reports, errors } = folder.scan('all');
    assert.deepEqual(errors, []);
    assert.ok(snapshot);
    assert.equal(describeCounts(snapshot), 'CDS 1, EDS 1, LDS 1, RDS 1, SDS 0');
    assert.deepEqual(snapshot.consistencyErrors(), []);
    assert.match(folder.version, /^1-[0-9a-f]{8}$/);
    assert.equal(snapshot.version(LISTENER_TYPE), folder.version);
    assert.deepEqual(reports.map((r) => [path.relative(dir, r.file), r.state]), [['clusters/cluster.yaml', 'ok'], ['clusters/eps.json', 'ok'], ['listener.yaml', 'ok'], ['route.yaml', 'ok']]);
  });

  it('serves an empty snapshot for an empty folder, so proxies are not left waiting', () => {
    const folder = new ResourceFolder(folderWith({}));
    const { snapshot } = folder.scan('all');
    assert.equal(describeCounts(snapshot!), 'CDS 0, EDS 0, LDS 0, RDS 0, SDS 0');
    assert.equal(folder.scan('all').snapshot, undefined);
  });

  it('rejects a broken file with file:line and serves the rest', () => {
    const dir = folderWith({ ...GOOD, 'other.yaml': lines('"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster', 'name: other', 'typ: STATIC') });
    const folder = new ResourceFolder(dir);
    const { snapshot, reports } = folder.scan('all');
    assert.deepEqual([...snapshot!.resources(CLUSTER_TYPE).keys()], ['service']);
    const bad = reports.find((r) => r.state === 'rejected')!;
    assert.equal(bad.file, path.join(dir, 'other.yaml'));
    assert.deepEqual(issuesOf(folder, 'other.yaml').issues, [`${dir}/other.yaml:3: typ: unknown field "typ" in envoy.config.cluster.v3.Cluster (did you mean "type"?)`]);
  });

  it('holds back a file whose resource names another file already defines', () => {
    const dir = folderWith({ ...GOOD, 'more/cluster-copy.yaml': cluster() });
    const folder = new ResourceFolder(dir);
    const { snapshot } = folder.scan('all');
    assert.equal(snapshot!.resources(CLUSTER_TYPE).size, 1);
    const copy = issuesOf(folder, 'more/cluster-copy.yaml');
    assert.equal(copy.state, 'held');
    assert.deepEqual(copy.issues, [`${dir}/more/cluster-copy.yaml:2: name: duplicate Cluster "service": already defined at ${dir}/cluster.yaml:2`]);
  });

  it('reports a dangling RDS reference at the listener\'s route_config_name line, and serves the listener once the route exists', () => {
    const { 'route.yaml': _route, ...rest } = GOOD;
    const dir = folderWith(rest);
    const folder = new ResourceFolder(dir);
    const first = folder.scan('all');
    assert.equal(first.snapshot!.resources(LISTENER_TYPE).size, 0);
    assert.equal(first.snapshot!.resources(CLUSTER_TYPE).size, 1);
    assert.deepEqual(issuesOf(folder, 'listener.yaml'), {
      file: path.join(dir, 'listener.yaml'),
      state: 'held',
      served: 0,
      issues: [`${dir}/listener.yaml:13: filter_chains[0].filters[0].typed_config.rds.route_config_name: listener "listener_0" refers to RDS resource "local_route", which no file defines (define the RDS resource in a file of this folder)`],
    });
    writeFiles(dir, { 'route.yaml': route() });
    const second = folder.scan(new Set());
    assert.equal(second.snapshot!.resources(LISTENER_TYPE).size, 1);
    assert.deepEqual(second.reports.map((r) => [path.basename(r.file), r.state, r.previous]), [['listener.yaml', 'ok', 'held'], ['route.yaml', 'ok', undefined]]);
    assert.match(folder.version, /^2-/);
  });

  it('reports an EDS cluster without endpoints, and an API listener\'s RDS route', () => {
    const api = lines(
      '"@type": type.googleapis.com/envoy.config.listener.v3.Listener',
      'name: echo.test',
      'api_listener:',
      '  api_listener:',
      '    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      '    stat_prefix: echo',
      '    rds: { config_source: { ads: {} }, route_config_name: echo_route }',
      '    http_filters: [{ name: router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]',
    );
    const dir = folderWith({ 'cluster.yaml': cluster(), 'api.yaml': api });
    const folder = new ResourceFolder(dir);
    folder.scan('all');
    assert.match(issuesOf(folder, 'cluster.yaml').issues[0]!, /cluster\.yaml:3: type: cluster "service" refers to EDS resource "service", which no file defines/);
    assert.match(issuesOf(folder, 'api.yaml').issues[0]!, /api\.yaml:7: api_listener\.api_listener\.rds\.route_config_name: listener "echo\.test" refers to RDS resource "echo_route"/);
  });
});

describe('xDS folder: changes', () => {
  it('keeps the last good version of a file that breaks, and takes the fix', () => {
    const dir = folderWith(GOOD);
    const folder = new ResourceFolder(dir);
    const first = folder.scan('all').snapshot!;
    assert.equal(portOf(first), 8000);

    writeFiles(dir, { 'endpoints.yaml': endpoints(8001) });
    const moved = folder.scan(new Set([path.join(dir, 'endpoints.yaml')]));
    assert.equal(portOf(moved.snapshot), 8001);
    // Only EDS changed: the other types keep their version, so proxies are not re-pushed.
    assert.match(moved.snapshot!.version(ENDPOINT_TYPE), /^2-/);
    assert.equal(moved.snapshot!.version(CLUSTER_TYPE), first.version(CLUSTER_TYPE));

    writeFiles(dir, { 'endpoints.yaml': endpoints(8002).replace('port_value: 8002', 'port_value: 80020') });
    const broken = folder.scan('all');
    assert.equal(broken.snapshot, undefined, 'a broken file publishes nothing');
    assert.equal(portOf(folder.snapshot), 8001);
    assert.equal(broken.reports[0]!.state, 'rejected');
    assert.match(broken.reports[0]!.issues.map((i) => `${i.span?.line}: ${i.path}: ${i.message}`)[0]!, /^4: endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: value must be at most 65535, got 80020$/);
    assert.equal(issuesOf(folder, 'endpoints.yaml').served, 1);
    assert.equal(folder.scan('all').reports.length, 0, 'a problem is reported once, not on every scan');

    writeFiles(dir, { 'endpoints.yaml': endpoints(8003) });
    const fixed = folder.scan('all');
    assert.equal(portOf(fixed.snapshot), 8003);
    assert.match(folder.version, /^3-/);
    assert.equal(fixed.reports[0]!.previous, 'rejected');
  });

  it('holds back a route file whose change would leave the listener dangling', () => {
    const dir = folderWith(GOOD);
    const folder = new ResourceFolder(dir);
    folder.scan('all');
    writeFiles(dir, { 'route.yaml': route('service', 'renamed_route') });
    const result = folder.scan('all');
    assert.equal(result.snapshot, undefined);
    assert.deepEqual([...folder.snapshot!.resources(ROUTE_TYPE).keys()], ['local_route']);
    const held = issuesOf(folder, 'route.yaml');
    assert.equal(held.state, 'held');
    assert.match(held.issues[0]!, /listener\.yaml:13: .*route_config_name: listener "listener_0" refers to RDS resource "local_route", which no file defines \(.*route\.yaml no longer defines it, so .*route\.yaml keeps its last good version\)$/);
    // Renaming the reference too makes both changes go out together.
    writeFiles(dir, { 'listener.yaml': LISTENER.replace('route_config_name: local_route', 'route_config_name: renamed_route') });
    const both = folder.scan('all');
    assert.deepEqual([...both.snapshot!.resources(ROUTE_TYPE).keys()], ['renamed_route']);
    assert.deepEqual(folder.status().map((f) => f.state), ['ok', 'ok', 'ok', 'ok']);
  });

  it('stops serving a removed file, unless something still refers to it', () => {
    const dir = folderWith({ ...GOOD, 'extra.yaml': cluster('extra').replace('type: EDS', 'type: STATIC') });
    const folder = new ResourceFolder(dir);
    folder.scan('all');
    fs.rmSync(path.join(dir, 'extra.yaml'));
    const removed = folder.scan(new Set());
    assert.deepEqual([...removed.snapshot!.resources(CLUSTER_TYPE).keys()], ['service']);
    assert.deepEqual(removed.reports.map((r) => r.state), ['removed']);

    fs.rmSync(path.join(dir, 'endpoints.yaml'));
    assert.equal(folder.scan(new Set()).snapshot, undefined);
    assert.equal(portOf(folder.snapshot), 8000);
    assert.equal(issuesOf(folder, 'endpoints.yaml').state, 'held');
  });

  it('publishes nothing when nothing changed, and the same content hashes the same', () => {
    const a = new ResourceFolder(folderWith(GOOD));
    const b = new ResourceFolder(folderWith(GOOD));
    a.scan('all');
    b.scan('all');
    assert.equal(a.version, b.version);
    assert.equal(a.scan('all').snapshot, undefined);
    assert.deepEqual(a.scan(new Set()), { snapshot: undefined, reports: [], errors: [] });
  });

  it('keeps serving when the folder disappears', () => {
    const dir = folderWith(GOOD);
    const folder = new ResourceFolder(dir);
    folder.scan('all');
    fs.rmSync(dir, { recursive: true });
    const result = folder.scan('all');
    assert.match(result.errors[0]!, /^cannot read /);
    assert.equal(portOf(folder.snapshot), 8000);
  });
});
