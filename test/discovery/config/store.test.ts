// Loading folders of YAML (order, recursion, duplicates across files) and the watched
// ConfigStore: edits show up as 'change' events, a broken edit is reported while
// everything that is still valid keeps being served.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { VirtualServiceSpec } from '../../../src/api/istio/types.js';
import { ConfigStore, formatConfigIssue, loadConfigDirs, type ConfigSnapshot } from '../../../src/discovery/config/index.js';
import { tempDir } from '../../helpers/process.js';

const serviceAccount = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: istioinaction}\n`;

const virtualService = (name: string, host: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: istioinaction}
spec:
  hosts: [${host}]
  http:
  - route: [{destination: {host: webapp${extra}}}]
`;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = tempDir('skein-config-');
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const describeAll = (s: { objects: readonly { kind: string; metadata: { name: string }; source: { file: string } }[] }, dir: string) =>
  s.objects.map((o) => `${path.relative(dir, o.source.file)} ${o.kind} ${o.metadata.name}`);
const issueLines = (s: { issues: readonly Parameters<typeof formatConfigIssue>[0][] }, dir: string) => s.issues.map((i) => formatConfigIssue(i).split(dir + path.sep).join(''));

describe('loadConfigDirs', () => {
  it('walks folders recursively in name order, reads only YAML and JSON, skips hidden entries', async () => {
    const dir = folder({
      'b.yaml': serviceAccount('b'),
      'a/x.yml': serviceAccount('ax') + '---\n' + serviceAccount('ay'),
      'c.json': JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c', namespace: 'istioinaction' } }),
      'README.md': '# not config',
      '.backup.yaml': serviceAccount('hidden'),
    });
    const loaded = await loadConfigDirs([dir]);
    assert.deepEqual(describeAll(loaded, dir), ['a/x.yml ServiceAccount ax', 'a/x.yml ServiceAccount ay', 'b.yaml ServiceAccount b', 'c.json ServiceAccount c']);
    assert.deepEqual(loaded.issues, []);
  });

  it('reports a duplicate across files on the later file, and problems with the paths themselves', async () => {
    const dir = folder({ '1-first.yaml': serviceAccount('webapp'), '2-second.yaml': '\n' + serviceAccount('webapp'), 'empty/.keep': '' });
    const loaded = await loadConfigDirs([dir, path.join(dir, 'empty'), path.join(dir, 'missing')]);
    assert.deepEqual(describeAll(loaded, dir), ['1-first.yaml ServiceAccount webapp']);
    assert.deepEqual(issueLines(loaded, dir), [
      'warning: empty: no .yaml, .yml or .json files found',
      'missing: no such file or directory',
      '2-second.yaml:2: ServiceAccount istioinaction/webapp: already defined at 1-first.yaml:1; this definition is skipped',
    ]);
  });

  it('reads a single file given as a path', async () => {
    const dir = folder({ 'one.yaml': serviceAccount('one'), 'two.yaml': serviceAccount('two') });
    const loaded = await loadConfigDirs([path.join(dir, 'two.yaml')]);
    assert.deepEqual(describeAll(loaded, dir), ['two.yaml ServiceAccount two']);
  });
});

describe('ConfigStore', () => {
  const stores: ConfigStore[] = [];
  after(() => {
    for (const s of stores) s.close();
  });

  async function started(dir: string, options: ConstructorParameters<typeof ConfigStore>[1] = {}): Promise<ConfigStore> {
    const store = new ConfigStore([dir], options);
    stores.push(store);
    await store.start();
    return store;
  }

  /** The next 'change' (the timeout only stops a broken test from hanging). */
  const nextChange = (store: ConfigStore) => once(store, 'change', { signal: AbortSignal.timeout(10_000) }).then(([s]) => s as ConfigSnapshot);
  const hostsOf = (s: ConfigSnapshot) => s.objects.filter((o) => o.kind === 'VirtualService').map((o) => (o.spec as VirtualServiceSpec).hosts![0]);

  it('loads the folder on start and follows edits, new files and removals', async () => {
    const dir = folder({ 'vs.yaml': virtualService('webapp', 'webapp.istioinaction.io') });
    // Watching alone (no polling), so this shows fs.watch sees each of these changes.
    const store = new ConfigStore([dir], { pollMs: 0 });
    stores.push(store);
    let changes = 0;
    store.on('change', () => changes++);
    await store.start();
    assert.equal(changes, 0, 'the first load is read with objects(), not announced');
    assert.deepEqual(hostsOf({ objects: store.objects(), issues: [] }), ['webapp.istioinaction.io']);

    let change = nextChange(store);
    fs.writeFileSync(path.join(dir, 'vs.yaml'), virtualService('webapp', 'shop.istioinaction.io'));
    assert.deepEqual(hostsOf(await change), ['shop.istioinaction.io']);

    change = nextChange(store);
    fs.mkdirSync(path.join(dir, 'more'));
    fs.writeFileSync(path.join(dir, 'more', 'catalog.yaml'), virtualService('catalog', 'catalog.istioinaction.io'));
    assert.deepEqual(hostsOf(await change), ['catalog.istioinaction.io', 'shop.istioinaction.io']);

    change = nextChange(store);
    fs.rmSync(path.join(dir, 'vs.yaml'));
    assert.deepEqual(hostsOf(await change), ['catalog.istioinaction.io']);
    assert.deepEqual(store.issues(), []);
  });

  it('sees an editor-style save (write a temporary file, rename it over the old one)', async () => {
    const dir = folder({ 'vs.yaml': virtualService('webapp', 'webapp.istioinaction.io') });
    const store = await started(dir, { pollMs: 0 });
    const change = nextChange(store);
    fs.writeFileSync(path.join(dir, '.vs.yaml.swp'), virtualService('webapp', 'renamed.istioinaction.io'));
    fs.renameSync(path.join(dir, '.vs.yaml.swp'), path.join(dir, 'vs.yaml'));
    assert.deepEqual(hostsOf(await change), ['renamed.istioinaction.io']);
  });

  it('sees edits by polling alone when watching is off', async () => {
    const dir = folder({ 'vs.yaml': virtualService('webapp', 'webapp.istioinaction.io') });
    const store = await started(dir, { watch: false, pollMs: 100 });
    const change = nextChange(store);
    fs.writeFileSync(path.join(dir, 'vs.yaml'), virtualService('webapp', 'polled.istioinaction.io'));
    assert.deepEqual(hostsOf(await change), ['polled.istioinaction.io']);
  });

  it('on a broken edit, reports the issue and drops only the broken object', async () => {
    const dir = folder({ 'vs.yaml': virtualService('webapp', 'webapp.istioinaction.io') + '---\n' + virtualService('catalog', 'catalog.istioinaction.io') });
    const store = await started(dir);
    const change = nextChange(store);
    fs.writeFileSync(path.join(dir, 'vs.yaml'), virtualService('webapp', 'webapp.istioinaction.io', ', subsett: v1') + '---\n' + virtualService('catalog', 'catalog.istioinaction.io'));
    const snapshot = await change;
    assert.deepEqual(hostsOf(snapshot), ['catalog.istioinaction.io']);
    assert.deepEqual(issueLines(snapshot, dir), [
      'vs.yaml:7: VirtualService istioinaction/webapp: spec.http[0].route[0].destination.subsett: unknown field (did you mean "subset"?)',
    ]);
  });

  it('keeps the last good objects of a file that is not YAML at all (e.g. caught half-written)', async () => {
    const dir = folder({ 'vs.yaml': virtualService('webapp', 'webapp.istioinaction.io'), 'sa.yaml': serviceAccount('webapp') });
    const store = await started(dir);
    let change = nextChange(store);
    fs.writeFileSync(path.join(dir, 'vs.yaml'), 'apiVersion: networking.istio.io/v1\nkind: [VirtualService\n');
    let snapshot = await change;
    assert.deepEqual(describeAll(snapshot, dir), ['sa.yaml ServiceAccount webapp', 'vs.yaml VirtualService webapp']);
    assert.equal(snapshot.issues.length, 1);
    assert.match(formatConfigIssue(snapshot.issues[0]!), /vs\.yaml:\d+: invalid YAML: .* \(keeping the file's last good object\)$/);

    change = nextChange(store);
    fs.writeFileSync(path.join(dir, 'vs.yaml'), virtualService('webapp', 'fixed.istioinaction.io'));
    snapshot = await change;
    assert.deepEqual(hostsOf(snapshot), ['fixed.istioinaction.io']);
    assert.deepEqual(snapshot.issues, []);
  });

  it('fromObjects holds fixed objects and issues', async () => {
    const dir = folder({ 'sa.yaml': serviceAccount('webapp') + '---\n' + serviceAccount('Bad') });
    const loaded = await loadConfigDirs([dir]);
    const store = ConfigStore.fromObjects(loaded.objects, loaded.issues);
    assert.deepEqual(describeAll({ objects: store.objects() }, dir), ['sa.yaml ServiceAccount webapp']);
    assert.equal(store.issues().length, 1);
  });
});
