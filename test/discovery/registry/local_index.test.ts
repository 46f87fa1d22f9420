// localIndex: stable across rebuilds, smallest free for new services, capped at 254.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPushContext } from '../../../src/discovery/model/index.js';
import { objectsFromYaml } from '../model/objects.js';

function servicesYaml(names: string[]): string {
  return names
    .map((n) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${n}, namespace: ns }\nspec: { ports: [{ name: http, port: 80 }] }\n`)
    .join('---\n');
}

const indexes = (ctx: ReturnType<typeof buildPushContext>) => Object.fromEntries(ctx.services().map((s) => [s.name, s.localIndex]));

describe('localIndex', () => {
  it('numbers the first build in hostname order', () => {
    const ctx = buildPushContext({ objects: objectsFromYaml(servicesYaml(['web', 'catalog', 'api'])) });
    assert.deepEqual(indexes(ctx), { api: 1, catalog: 2, web: 3 });
  });

  it('keeps indexes across rebuilds, frees removed ones and fills the smallest gap', () => {
    const first = buildPushContext({ objects: objectsFromYaml(servicesYaml(['web', 'catalog', 'api'])) });
    // catalog removed (frees 2); aaa and zzz are new: aaa sorts first so it gets 2, zzz gets 4.
    const second = buildPushContext({ objects: objectsFromYaml(servicesYaml(['zzz', 'web', 'api', 'aaa'])), previous: first });
    assert.deepEqual(indexes(second), { aaa: 2, api: 1, web: 3, zzz: 4 });
    // Without `previous`, the numbering starts again from sorted order.
    assert.deepEqual(indexes(buildPushContext({ objects: objectsFromYaml(servicesYaml(['zzz', 'web', 'api', 'aaa'])) })), {
      aaa: 1,
      api: 2,
      web: 3,
      zzz: 4,
    });
    const third = buildPushContext({ objects: objectsFromYaml(servicesYaml(['zzz', 'web', 'api', 'aaa', 'catalog'])), previous: second });
    assert.deepEqual(indexes(third), { aaa: 2, api: 1, catalog: 5, web: 3, zzz: 4 });
  });

  it('gives services past 254 index 0 with a warning', () => {
    const names = Array.from({ length: 256 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    const ctx = buildPushContext({ objects: objectsFromYaml(servicesYaml(names)) });
    const idx = indexes(ctx);
    assert.equal(idx['svc-000'], 1);
    assert.equal(idx['svc-253'], 254);
    assert.equal(idx['svc-254'], 0);
    assert.equal(idx['svc-255'], 0);
    assert.deepEqual(ctx.warnings, [
      'more than 254 services: 2 have no local mesh address and are unreachable through the local mesh: svc-254.ns.svc.cluster.local, svc-255.ns.svc.cluster.local',
    ]);
    // When one is removed, the next rebuild gives its index to a waiting service.
    const fewer = buildPushContext({ objects: objectsFromYaml(servicesYaml(names.filter((n) => n !== 'svc-010'))), previous: ctx });
    const after = indexes(fewer);
    assert.equal(after['svc-254'], 11);
    assert.equal(after['svc-255'], 0);
    assert.equal(after['svc-011'], 12);
  });
});
