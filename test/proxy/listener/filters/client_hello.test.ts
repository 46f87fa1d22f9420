// The ClientHello parser against real node:tls ClientHellos (TLS 1.2 and 1.3), split at
// every byte and over several records, plus truncated, oversized and garbage input.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHelloParser, parseClientHello, type ClientHelloResult } from '../../../../src/proxy/listener/filters/client_hello.js';
import { alpnExtension, buildClientHello, captureClientHello, extension, reRecord, sniExtension } from './helpers.js';

/** The facts that must not depend on how the bytes arrive. */
function facts(r: ClientHelloResult) {
  return { isTls: r.isTls, complete: r.complete, sni: r.sni, alpn: r.alpn, versions: r.versions, tooLarge: r.tooLarge };
}

function feed(parts: Buffer[], options?: ConstructorParameters<typeof ClientHelloParser>[0]): ClientHelloResult {
  const parser = new ClientHelloParser(options);
  let last: ClientHelloResult | undefined;
  for (const p of parts) last = parser.push(p);
  return last!;
}

/** Deterministic pseudo-random bytes (no flaky fuzzing). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

describe('ClientHello parser', () => {
  let tls13: Buffer;
  let tls12: Buffer;
  let bare: Buffer;
  before(async () => {
    tls13 = await captureClientHello({ servername: 'api.example.com', ALPNProtocols: ['h2', 'http/1.1'], minVersion: 'TLSv1.3' });
    tls12 = await captureClientHello({ servername: 'legacy.example.org', ALPNProtocols: ['http/1.1'], maxVersion: 'TLSv1.2' });
    // An IP host and no servername: node sends no SNI; no ALPNProtocols: no ALPN.
    bare = await captureClientHello({});
  });

  it('reads SNI, ALPN and supported_versions from a TLS 1.3 ClientHello', () => {
    const r = parseClientHello(tls13);
    assert.deepEqual(facts(r), { isTls: true, complete: true, sni: 'api.example.com', alpn: ['h2', 'http/1.1'], versions: [0x0304], tooLarge: undefined });
    assert.equal(r.bytes, tls13.length);
  });

  it('reads a TLS 1.2-only ClientHello', () => {
    const r = parseClientHello(tls12);
    assert.equal(r.isTls, true);
    assert.equal(r.complete, true);
    assert.equal(r.sni, 'legacy.example.org');
    assert.deepEqual(r.alpn, ['http/1.1']);
    assert.ok(!r.versions?.includes(0x0304), `TLS 1.2-only client offered ${r.versions}`);
    assert.ok(r.versions?.includes(0x0303));
  });

  it('a ClientHello without SNI or ALPN is still TLS', () => {
    const r = parseClientHello(bare);
    assert.equal(r.isTls, true);
    assert.equal(r.complete, true);
    assert.equal(r.sni, undefined);
    assert.equal(r.alpn, undefined);
  });

  it('gives the same answer however the bytes are split into two reads', () => {
    for (const hello of [tls13, tls12]) {
      const whole = facts(parseClientHello(hello));
      for (let i = 1; i < hello.length; i++) {
        const parser = new ClientHelloParser();
        const first = parser.push(hello.subarray(0, i));
        assert.deepEqual([first.isTls, first.complete], [true, false], `after ${i} bytes`);
        assert.deepEqual(facts(parser.push(hello.subarray(i))), whole, `split at ${i}`);
      }
    }
  });

  it('byte-by-byte feeding, and bytes after the ClientHello, change nothing', () => {
    const whole = facts(parseClientHello(tls13));
    const parts = [...tls13].map((b) => Buffer.from([b]));
    assert.deepEqual(facts(feed(parts)), whole);
    assert.deepEqual(facts(parseClientHello(Buffer.concat([tls13, Buffer.from('\x17\x03\x03\x00\x05early')]))), whole);
  });

  it('reassembles a ClientHello fragmented over several TLS records', () => {
    const whole = facts(parseClientHello(tls13));
    for (const sizes of [[1], [3], [4, 1], [1, 1, 1, 1, 1], [50, 50, 50], [100]]) {
      const records = reRecord(tls13, sizes);
      assert.deepEqual(facts(parseClientHello(records)), whole, `records of ${sizes}`);
      for (let i = 1; i < records.length; i += 7) {
        assert.deepEqual(facts(feed([records.subarray(0, i), records.subarray(i)])), whole, `records of ${sizes}, split at ${i}`);
      }
    }
  });

  it('every truncation asks for more bytes and never claims a verdict', () => {
    for (const hello of [tls13, reRecord(tls12, [10, 20])]) {
      for (let i = 1; i < hello.length; i++) {
        const r = parseClientHello(hello.subarray(0, i));
        assert.deepEqual([r.isTls, r.complete, r.sni], [true, false, undefined], `truncated at ${i}`);
      }
    }
  });

  it('plaintext is not TLS from its first byte', () => {
    for (const text of ['G', 'GET / HTTP/1.1\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', '\x00', '\x17\x03\x03']) {
      const r = parseClientHello(Buffer.from(text, 'latin1'));
      assert.deepEqual([r.isTls, r.complete], [false, true], JSON.stringify(text));
    }
  });

  it('rejects what is not a ClientHello: bad record version, empty or oversized records, other handshakes', () => {
    const cases: Array<[string, Buffer]> = [
      ['record major version 2', Buffer.from([22, 2, 0])],
      ['SSLv2-style hello', Buffer.from([0x80, 0x2e, 0x01])],
      ['zero-length record', Buffer.from([22, 3, 1, 0, 0])],
      ['record over 2^14', Buffer.from([22, 3, 1, 0x40, 0x01])],
      ['ServerHello', Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0])],
      ['alert record after a first fragment', Buffer.concat([reRecord(tls13, [10]).subarray(0, 15), Buffer.from([21, 3, 3, 0, 2, 2, 40])])],
    ];
    for (const [name, bytes] of cases) {
      const r = parseClientHello(bytes);
      assert.deepEqual([r.isTls, r.complete], [false, true], name);
      assert.ok(r.error, name);
    }
  });

  it('a ClientHello larger than the limit is too large, as early as its length says so', () => {
    const huge = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x10, 0x00]); // message of 69632 bytes
    assert.deepEqual(facts(parseClientHello(huge)), { ...facts({ isTls: true, complete: true, bytes: 0 }), tooLarge: true });
    // Within the limit by its own length, but more bytes than the limit ever arrive.
    const r = feed([tls13.subarray(0, 100), tls13.subarray(100)], { maxSize: 150 });
    assert.equal(r.tooLarge, true);
    // Exactly at the limit is fine.
    assert.equal(parseClientHello(tls13, { maxSize: tls13.length }).sni, 'api.example.com');
  });

  it('rejects malformed bodies the way BoringSSL would, but only ignores a malformed ALPN', () => {
    const ok = buildClientHello({ extensions: [sniExtension('a.example.com'), alpnExtension('h2')] });
    assert.deepEqual(facts(parseClientHello(ok)), { isTls: true, complete: true, sni: 'a.example.com', alpn: ['h2'], versions: [0x0303], tooLarge: undefined });
    const notTls: Array<[string, Buffer]> = [
      ['two server names', buildClientHello({ extensions: [sniExtension('a.example.com', 'b.example.com')] })],
      ['empty server name', buildClientHello({ extensions: [sniExtension('')] })],
      ['NUL in server name', buildClientHello({ extensions: [sniExtension('a\0b')] })],
      ['duplicate extension', buildClientHello({ extensions: [alpnExtension('h2'), alpnExtension('h2')] })],
      ['empty cipher_suites', buildClientHello({ ciphers: [] })],
      ['truncated extension', buildClientHello({ extensions: [Buffer.from([0, 16, 0, 9, 0])] })],
    ];
    for (const [name, bytes] of notTls) assert.equal(parseClientHello(bytes).isTls, false, name);
    const badAlpn = parseClientHello(buildClientHello({ extensions: [sniExtension('a.example.com'), extension(16, Buffer.from([0, 3, 0, 1, 0x68]))] }));
    assert.deepEqual([badAlpn.isTls, badAlpn.sni, badAlpn.alpn], [true, 'a.example.com', undefined]);
    // A pre-TLS 1.2 ClientHello may have no extensions block at all.
    const old = parseClientHello(buildClientHello({ version: 0x0301, noExtensionsBlock: true }));
    assert.deepEqual([old.isTls, old.complete, old.versions], [true, true, [0x0301]]);
  });

  it('builds the JA3 string without GREASE values', () => {
    const hello = buildClientHello({
      ciphers: [0x0a0a, 0x1301, 0xc02f],
      extensions: [
        extension(0x1a1a, Buffer.alloc(0)),
        sniExtension('a.example.com'),
        extension(10, Buffer.from([0, 6, 0x2a, 0x2a, 0, 29, 0, 23])),
        extension(11, Buffer.from([1, 0])),
        extension(43, Buffer.from([4, 0x3a, 0x3a, 3, 4])),
      ],
    });
    const r = parseClientHello(hello, { ja3: true });
    assert.equal(r.ja3, '771,4865-49199,0-10-11-43,29-23,0');
    assert.deepEqual(r.versions, [0x0304]);
    assert.equal(parseClientHello(hello).ja3, undefined);
    assert.match(parseClientHello(tls13, { ja3: true }).ja3 ?? '', /^771,[\d-]+,[\d-]+,[\d-]*,[\d-]*$/);
  });

  it('never throws on random or mutated input', () => {
    const next = prng(42);
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (next() % 64) }, next));
      if (n % 2) bytes[0] = 22; // get past the first-byte check half the time
      if (n % 4 === 1) bytes[1] = 3;
      const r = parseClientHello(bytes);
      assert.equal(typeof r.isTls, 'boolean');
    }
    for (let n = 0; n < 2000; n++) {
      const mutated = Buffer.from(tls13);
      for (let k = 0; k < 1 + (n % 4); k++) mutated[5 + ((next() << 8) | next()) % (mutated.length - 5)] = next();
      const r = feed([mutated.subarray(0, n % mutated.length), mutated.subarray(n % mutated.length)]);
      assert.equal(typeof r.complete, 'boolean');
    }
  });
});
