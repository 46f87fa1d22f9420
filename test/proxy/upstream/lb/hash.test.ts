// Known answers for the hashes RING_HASH / MAGLEV / hash_policy depend on: they must match
// Envoy bit for bit, or the same request would hash to a different host than under Envoy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hash64, hash64Into, murmurHash2, xxHash64 } from '../../../../src/proxy/upstream/lb/hash.js';
import { seededRandom } from './fixtures.js';

const MASK = (1n << 64n) - 1n;

/** Straightforward BigInt xxHash64, to cross-check the 32-bit-halves implementation. */
function referenceXxh64(bytes: Uint8Array, seed = 0n): bigint {
  const [P1, P2, P3, P4, P5] = [0x9e3779b185ebca87n, 0xc2b2ae3d27d4eb4fn, 0x165667b19e3779f9n, 0x85ebca77c2b2ae63n, 0x27d4eb2f165667c5n];
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK;
  const round = (acc: bigint, input: bigint) => (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    const v = [(seed + P1 + P2) & MASK, (seed + P2) & MASK, seed, (seed - P1) & MASK];
    for (; i + 32 <= len; i += 32) for (let j = 0; j < 4; j++) v[j] = round(v[j]!, view.getBigUint64(i + 8 * j, true));
    h = (rotl(v[0]!, 1n) + rotl(v[1]!, 7n) + rotl(v[2]!, 12n) + rotl(v[3]!, 18n)) & MASK;
    for (const lane of v) h = (((h ^ round(0n, lane)) * P1) + P4) & MASK;
  } else {
    h = (seed + P5) & MASK;
  }
  h = (h + BigInt(len)) & MASK;
  for (; i + 8 <= len; i += 8) h = (rotl(h ^ round(0n, view.getBigUint64(i, true)), 27n) * P1 + P4) & MASK;
  if (i + 4 <= len) {
    h = (rotl(h ^ ((BigInt(view.getUint32(i, true)) * P1) & MASK), 23n) * P2 + P3) & MASK;
    i += 4;
  }
  for (; i < len; i++) h = (rotl(h ^ ((BigInt(bytes[i]!) * P5) & MASK), 11n) * P1) & MASK;
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  return h ^ (h >> 32n);
}

function randomString(random: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    s += random() < 0.05 ? String.fromCodePoint(0xa0 + Math.floor(random() * 0x2000)) : String.fromCharCode(32 + Math.floor(random() * 95));
  }
  return s;
}

describe('hash64 (xxHash64, seed 0)', () => {
  it('matches the xxHash64 known answers', () => {
    assert.equal(hash64(''), 0xef46db3751d8e999n);
    assert.equal(hash64('abc'), 0x44bc2cf5ad770999n);
    assert.equal(hash64('The quick brown fox jumps over the lazy dog'), 0x0b242d361fda71bcn);
  });

  it("matches Envoy's HashUtil::xxHash64 test values", () => {
    assert.equal(hash64('foo'), 3728699739546630719n);
    assert.equal(hash64('bar'), 5234164152756840025n);
    assert.equal(hash64('foo\nbar'), 8917841378505826757n);
    assert.equal(hash64('lyft'), 4400747396090729504n);
    assert.equal(hash64(''), 17241709254077376921n);
  });

  it('hashes UTF-8 bytes, long inputs and seeds like the reference implementation', () => {
    assert.equal(hash64('ünïcödé → 漢字'), 0x5b48b9797a1d73cdn);
    assert.equal(hash64('x'.repeat(1000)), 0x4cb9a3b69cb700e1n);
    assert.equal(xxHash64(new TextEncoder().encode('a'.repeat(100)), 1n), 0x65af8ded6639a61an);
  });

  it('agrees with a BigInt reference on random inputs of every length class', () => {
    const random = seededRandom(99);
    const encoder = new TextEncoder();
    for (let n = 0; n < 600; n++) {
      const input = randomString(random, n % 150);
      const seed = n % 3 === 0 ? 0n : BigInt(Math.floor(random() * 2 ** 53)) * 1000003n & MASK;
      const expected = referenceXxh64(encoder.encode(input), seed);
      assert.equal(xxHash64(input, seed), expected, JSON.stringify(input));
      if (seed === 0n) assert.equal(hash64(input), expected);
    }
  });

  it('hash64Into gives the same value as two unsigned words', () => {
    const out = new Uint32Array(2);
    for (const input of ['', 'abc', '10.0.0.1:8080_17', 'é'.repeat(300)]) {
      hash64Into(input, 'XX_HASH', out);
      assert.equal((BigInt(out[0]!) << 32n) | BigInt(out[1]!), hash64(input));
      hash64Into(input, 'MURMUR_HASH_2', out);
      assert.equal((BigInt(out[0]!) << 32n) | BigInt(out[1]!), murmurHash2(input));
    }
  });
});

describe('murmurHash2 (libstdc++ 64-bit, Envoy MurmurHash::murmurHash2)', () => {
  it("matches Envoy's test values with STD_HASH_SEED", () => {
    assert.equal(murmurHash2('foo'), 9631199822919835226n);
    assert.equal(murmurHash2('bar'), 11474628671133349555n);
    assert.equal(murmurHash2('foo\nbar'), 16306510975912980159n);
    assert.equal(murmurHash2('lyft'), 12847078931730529320n);
    assert.equal(murmurHash2(''), 6142509188972423790n);
  });

  it('hashes strings and their UTF-8 bytes alike', () => {
    const input = 'ünïcödé 1234567890 abcdefghijklmnop';
    assert.equal(murmurHash2(input), murmurHash2(new TextEncoder().encode(input)));
  });
});
