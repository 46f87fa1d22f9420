// 64-bit non-cryptographic hashes with Envoy's exact outputs: xxHash64 (HashUtil::xxHash64,
// used by hash_policy, RING_HASH and MAGLEV) and libstdc++'s 64-bit MurmurHash2
// (MurmurHash::murmurHash2, RING_HASH's MURMUR_HASH_2). Keys hash as their UTF-8 bytes.
//
// The arithmetic runs on 32-bit halves rather than BigInt, which allocates on every operation
// and is several times slower. Only the public bigint wrappers allocate (the result);
// `hash64Into` (ring building) allocates nothing. Measured on the dev box (bench-style loop,
// best of 7): 25-byte key ~150 ns, 200-byte key ~850 ns; xxhash-wasm (a transitive
// dependency, not a direct one) does ~95 ns / ~110 ns.

// 64-bit values are (high, low) pairs of signed int32 numbers. A helper returns the low word
// and leaves the high word in `H`: one module register instead of two halves the context
// traffic, and int32 (`| 0`) values never box into heap numbers (uint32 ones above 2^31 do).
let H = 0;

/** High 32 bits of the unsigned product a * b; 16-bit limbs keep each partial product exact. */
function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/** (ah:al) * (bh:bl) mod 2^64. */
function mul(ah: number, al: number, bh: number, bl: number): number {
  H = (mulhi(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
  return Math.imul(al, bl);
}

/** (ah:al) + (bh:bl) mod 2^64. */
function add(ah: number, al: number, bh: number, bl: number): number {
  const lo = (al >>> 0) + (bl >>> 0);
  H = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
  return lo | 0;
}

/** Rotate left by 0 < r < 32 (every rotation xxHash64 uses is below 32). */
function rotl(h: number, l: number, r: number): number {
  H = (h << r) | (l >>> (32 - r));
  return (l << r) | (h >>> (32 - r));
}

const P1H = 0x9e3779b1 | 0, P1L = 0x85ebca87 | 0;
const P2H = 0xc2b2ae3d | 0, P2L = 0x27d4eb4f | 0;
const P3H = 0x165667b1 | 0, P3L = 0x9e3779f9 | 0;
const P4H = 0x85ebca77 | 0, P4L = 0xc2b2ae63 | 0;
const P5H = 0x27d4eb2f | 0, P5L = 0x165667c5 | 0;

/** xxHash64 round: rotl(acc + input * P2, 31) * P1. */
function round(ah: number, al: number, kh: number, kl: number): number {
  let l = mul(kh, kl, P2H, P2L);
  l = add(ah, al, H, l);
  l = rotl(H, l, 31);
  return mul(H, l, P1H, P1L);
}

/** Folds one stripe lane into the hash: (h ^ round(0, v)) * P1 + P4. */
function merge(hh: number, hl: number, vh: number, vl: number): number {
  const l = round(0, 0, vh, vl);
  const m = mul(hh ^ H, hl ^ l, P1H, P1L);
  return add(H, m, P4H, P4L);
}

function u32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

const LANE_ROTATIONS = [1, 7, 12, 18];

// Stripe accumulators of inputs of 32 bytes or more (high, low words of v1..v4).
const lanes = new Int32Array(8);

/**
 * xxHash64's 32-byte stripe phase; returns the hash's low word (high in H). Kept out of
 * `xxh64` so the short-key path stays small enough for V8 to inline its helpers.
 */
function stripes(b: Uint8Array, len: number, sh: number, sl: number): number {
  const v = lanes;
  v[1] = add(sh, sl, P1H, P1L);
  v[1] = add(H, v[1], P2H, P2L);
  v[0] = H;
  v[3] = add(sh, sl, P2H, P2L);
  v[2] = H;
  v[4] = sh;
  v[5] = sl;
  v[7] = add(sh, sl, ~P1H, ~P1L); // seed - P1 = seed + ~P1 + 1
  v[7] = add(H, v[7], 0, 1);
  v[6] = H;
  for (let i = 0; i + 32 <= len; i += 32) {
    for (let j = 0; j < 8; j += 2) {
      v[j + 1] = round(v[j]!, v[j + 1]!, u32(b, i + 4 * j + 4), u32(b, i + 4 * j));
      v[j] = H;
    }
  }
  let l = rotl(v[0]!, v[1]!, LANE_ROTATIONS[0]!);
  let h = H;
  for (let j = 2; j < 8; j += 2) {
    const r = rotl(v[j]!, v[j + 1]!, LANE_ROTATIONS[j / 2]!);
    l = add(h, l, H, r);
    h = H;
  }
  for (let j = 0; j < 8; j += 2) {
    l = merge(h, l, v[j]!, v[j + 1]!);
    h = H;
  }
  return l;
}

/** h = rotl(h ^ round(0, k), 27) * P1 + P4 for an 8-byte lane k. */
function tail8(hh: number, hl: number, kh: number, kl: number): number {
  let l = round(0, 0, kh, kl);
  l = rotl(hh ^ H, hl ^ l, 27);
  l = mul(H, l, P1H, P1L);
  return add(H, l, P4H, P4L);
}

/** h = rotl(h ^ k * P1, 23) * P2 + P3 for a 4-byte lane k. */
function tail4(hh: number, hl: number, k: number): number {
  let l = mul(0, k, P1H, P1L);
  l = rotl(hh ^ H, hl ^ l, 23);
  l = mul(H, l, P2H, P2L);
  return add(H, l, P3H, P3L);
}

/** h = rotl(h ^ byte * P5, 11) * P1. */
function tail1(hh: number, hl: number, byte: number): number {
  let l = mul(0, byte, P5H, P5L);
  l = rotl(hh ^ H, hl ^ l, 11);
  return mul(H, l, P1H, P1L);
}

/** xxHash64 of b[0..len) with seed sh:sl; returns the low word, high word in H. */
function xxh64(b: Uint8Array, len: number, sh: number, sl: number): number {
  let i = len & ~31;
  let l = i > 0 ? stripes(b, len, sh, sl) : add(sh, sl, P5H, P5L);
  // len < 2^32 always (strings), so only the low word of the length is added.
  l = add(H, l, 0, len);
  for (; i + 8 <= len; i += 8) l = tail8(H, l, u32(b, i + 4), u32(b, i));
  if (i + 4 <= len) {
    l = tail4(H, l, u32(b, i));
    i += 4;
  }
  for (; i < len; i++) l = tail1(H, l, b[i]!);
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  l = mul(H, l ^ (H >>> 1), P2H, P2L);
  l = mul(H ^ (H >>> 29), l ^ ((l >>> 29) | (H << 3)), P3H, P3L);
  return l ^ H;
}

const MH = 0xc6a4a793 | 0, ML = 0x5bd1e995 | 0;

/** libstdc++ _Hash_bytes (64-bit MurmurHash2 variant) of b[0..len) with seed sh:sl; low word, high in H. */
function murmur2(b: Uint8Array, len: number, sh: number, sl: number): number {
  let l = mul(0, len, MH, ML);
  let h = sh ^ H;
  l ^= sl;
  const aligned = len & ~7;
  for (let i = 0; i < aligned; i += 8) {
    let k = mul(u32(b, i + 4), u32(b, i), MH, ML);
    k = mul(H, k ^ (H >>> 15), MH, ML); // shift_mix(v) = v ^ (v >> 47)
    l = mul(h ^ H, l ^ k, MH, ML);
    h = H;
  }
  if ((len & 7) !== 0) {
    // The 1..7 trailing bytes as a little-endian integer.
    let dh = 0;
    let dl = 0;
    for (let i = len - 1; i >= aligned; i--) {
      dh = (dh << 8) | (dl >>> 24);
      dl = (dl << 8) | b[i]!;
    }
    l = mul(h ^ dh, l ^ dl, MH, ML);
    h = H;
  }
  l = mul(h, l ^ (h >>> 15), MH, ML);
  return l ^ (H >>> 15);
}

// UTF-8 scratch space reused by every call; pure-ASCII keys (the common case: addresses,
// header values) are copied by hand, which beats a native encode call for short strings.
let scratch = new Uint8Array(256);
const encoder = new TextEncoder();

function encode(input: string): number {
  const n = input.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2));
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(input, scratch).written;
    scratch[i] = c;
  }
  return n;
}

function toBigInt(h: number, l: number): bigint {
  return (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
}

function seedHigh(seed: bigint): number {
  return Number(BigInt.asIntN(32, seed >> 32n));
}

function seedLow(seed: bigint): number {
  return Number(BigInt.asIntN(32, seed));
}

/** xxHash64 (seed 0) of the UTF-8 bytes of `input`: Envoy's HashUtil::xxHash64. */
export function hash64(input: string): bigint {
  const len = encode(input); // before reading `scratch`: encoding may replace it
  const l = xxh64(scratch, len, 0, 0);
  return toBigInt(H, l);
}

/** xxHash64 of a string (UTF-8) or bytes with an optional 64-bit seed. */
export function xxHash64(input: string | Uint8Array, seed = 0n): bigint {
  const sh = seedHigh(seed), sl = seedLow(seed);
  let l: number;
  if (typeof input === 'string') {
    const len = encode(input);
    l = xxh64(scratch, len, sh, sl);
  } else {
    l = xxh64(input, input.length, sh, sl);
  }
  return toBigInt(H, l);
}

/** Envoy's MurmurHash::STD_HASH_SEED, the seed RING_HASH uses with MURMUR_HASH_2. */
export const MURMUR_STD_HASH_SEED = 0xc70f6907n;

/** 64-bit MurmurHash2 as in libstdc++'s std::hash (Envoy's MurmurHash::murmurHash2). */
export function murmurHash2(input: string | Uint8Array, seed = MURMUR_STD_HASH_SEED): bigint {
  const sh = seedHigh(seed), sl = seedLow(seed);
  let l: number;
  if (typeof input === 'string') {
    const len = encode(input);
    l = murmur2(scratch, len, sh, sl);
  } else {
    l = murmur2(input, input.length, sh, sl);
  }
  return toBigInt(H, l);
}

export type HashFunctionName = 'XX_HASH' | 'MURMUR_HASH_2';

/**
 * Hashes `input` without allocating a BigInt: out[0] = high 32 bits, out[1] = low 32 bits
 * (as unsigned words, so they compare like the 64-bit value). Ring building calls this once
 * per ring entry, up to millions of times.
 */
export function hash64Into(input: string, fn: HashFunctionName, out: Uint32Array): void {
  const len = encode(input);
  const l = fn === 'MURMUR_HASH_2' ? murmur2(scratch, len, 0, 0xc70f6907 | 0) : xxh64(scratch, len, 0, 0);
  out[0] = H;
  out[1] = l;
}
