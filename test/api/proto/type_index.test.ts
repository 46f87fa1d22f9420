// The committed type index must describe the installed protos exactly: a dependency
// upgrade that adds, moves or drops a type fails here until `npm run gen:types`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { allProtoFiles, newProtoRoot, PROTO_PARSE_OPTIONS, protoPackageVersions, resolveProtoPath, UNLOADABLE } from '../../../src/api/proto/files.js';
import { LazyProtoRoot } from '../../../src/api/proto/root.js';
import { buildTypeIndex, formatTypeIndex, readCommittedTypeIndex, TypeLocator } from '../../../src/api/proto/type-index.js';

function fullRoot(): protobuf.Root {
  const root = newProtoRoot();
  root.loadSync(allProtoFiles(), PROTO_PARSE_OPTIONS);
  root.resolveAll();
  return root;
}

function typeNames(root: protobuf.NamespaceBase): { messages: string[]; enums: string[] } {
  const messages: string[] = [];
  const enums: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) messages.push(child.fullName.slice(1));
      if (child instanceof protobuf.Enum) enums.push(child.fullName.slice(1));
      if (child instanceof protobuf.Namespace) walk(child);
    }
  };
  walk(root);
  return { messages: messages.sort(), enums: enums.sort() };
}

const committed = readCommittedTypeIndex();
const locator = new TypeLocator(committed);

describe('proto type index', () => {
  it('matches the installed protos (else run npm run gen:types)', () => {
    const built = buildTypeIndex(fullRoot(), protoPackageVersions());
    assert.equal(formatTypeIndex(committed), formatTypeIndex(built), 'type-index.generated.json is stale: run npm run gen:types');
  });

  it('covers every message and enum of a full load, each in one file', () => {
    const all = typeNames(fullRoot());
    const indexed = Object.values(committed.files);
    const messages = indexed.flatMap((f) => f.messages ?? []).sort();
    const enums = indexed.flatMap((f) => f.enums ?? []).sort();
    assert.deepEqual(messages, all.messages);
    assert.deepEqual(enums, all.enums);
    assert.equal(locator.size, messages.length + enums.length, 'a name appears in two files');
    assert.ok(messages.length > 1000, `only ${messages.length} messages`);
    assert.deepEqual(locator.messageNames(), messages);
  });

  it('names files that resolve to readable protos, none of them unloadable', () => {
    for (const file of Object.keys(committed.files)) {
      assert.ok(!UNLOADABLE.has(file), file);
      const resolved = resolveProtoPath('', file);
      if (resolved !== file) assert.ok(fs.existsSync(resolved), `${file} → ${resolved}`);
      else assert.ok((protobuf as any).common[file], `${file} does not resolve`);
    }
    assert.equal(locator.locate('envoy.config.bootstrap.v3.Bootstrap')?.file, 'envoy/config/bootstrap/v3/bootstrap.proto');
    assert.equal(locator.locate('google.protobuf.Any')?.file, 'google/protobuf/any.proto');
    assert.deepEqual(locator.locate('envoy.config.cluster.v3.Cluster.LbPolicy'), { file: 'envoy/config/cluster/v3/cluster.proto', kind: 'enum' });
    // Types from files that import protos the vendored tree lacks stay unknown, as before.
    assert.equal(locator.locate('envoy.config.trace.v3.OpenCensusConfig'), undefined);
  });

  it('lets a lazy root load every indexed type, one file at a time', () => {
    const lazy = new LazyProtoRoot(() => locator);
    for (const [file, defined] of Object.entries(committed.files)) {
      for (const name of defined.messages ?? []) {
        assert.equal(lazy.findType(name)?.fullName, '.' + name, `${name} (${file})`);
      }
      for (const name of defined.enums ?? []) {
        assert.equal(lazy.findType(name), undefined);
        lazy.load([file]);
        assert.ok(lazy.root.lookup(name) instanceof protobuf.Enum, `${name} (${file})`);
      }
    }
    assert.equal(lazy.fullyLoaded, false);
    assert.deepEqual(typeNames(lazy.root), typeNames(fullRoot()));
  });
});
