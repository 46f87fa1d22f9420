// Golden tests: every case under testdata/ translates, for each of its proxies, to
// exactly expected/<proxy>.yaml. UPDATE_GOLDEN=1 rewrites the files (review the diff!).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { caseNames, goldenPath, loadCase, renderGolden, translate } from './harness.js';

const update = process.env.UPDATE_GOLDEN === '1';

for (const name of caseNames()) {
  describe(`translation golden: ${name}`, () => {
    const c = loadCase(name);
    it('input.yaml is valid config', () => {
      assert.deepEqual(c.configIssues, []);
    });
    for (const { name: proxyName } of c.proxies) {
      it(`${proxyName} matches expected/${proxyName}.yaml`, () => {
        const actual = renderGolden(translate(c, proxyName));
        const file = goldenPath(c, proxyName);
        if (update) {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, actual);
          return;
        }
        assert.ok(fs.existsSync(file), `missing ${file}; run with UPDATE_GOLDEN=1 to create it`);
        assert.equal(actual, fs.readFileSync(file, 'utf8'));
      });
    }
  });
}

describe('translation is deterministic', () => {
  it('translating twice gives identical output', () => {
    for (const name of caseNames()) {
      const c = loadCase(name);
      for (const p of c.proxies) assert.equal(renderGolden(translate(c, p.name)), renderGolden(translate(loadCase(name), p.name)), `${name}/${p.name}`);
    }
  });
});
