// HTTP/1.x vs HTTP/2 prior-knowledge detection from the first bytes of a connection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpDetector, detectHttp } from '../../../../src/proxy/listener/filters/http_detect.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

describe('HTTP detection', () => {
  it('tells the versions apart from the request line', () => {
    const cases: Array<[string, string]> = [
      ['GET / HTTP/1.1\r\n', 'http/1.1'],
      ['POST /a?b=c HTTP/1.0\r\nHost: x\r\n\r\n', 'http/1.0'],
      ['GET / HTTP/1.1\n', 'http/1.1'],
      ['PURGE /cache HTTP/1.1\r\n', 'http/1.1'],
      ['CONNECT example.com:443 HTTP/1.1\r\n', 'http/1.1'],
      ['OPTIONS * HTTP/1.1\r\n', 'http/1.1'],
      ['GET / HTTP/2.0\r\n', 'http/1.0'],
      [PREFACE, 'h2c'],
      [PREFACE + '\x00\x00\x12\x04\x00\x00\x00\x00\x00', 'h2c'],
    ];
    for (const [text, expected] of cases) assert.equal(detectHttp(Buffer.from(text, 'latin1')), expected, JSON.stringify(text));
  });

  it('says "not HTTP" as soon as a byte cannot belong to a request line', () => {
    const cases = ['\x16\x03\x01', '\r\n', ' GET', 'GET  / HTTP/1.1', 'GET /\r\n', 'GET / HTTX', 'GET / HTTP/1.12', 'GET / HTTP/1.1\rX', 'GE\x00T', 'SSH-2.0-OpenSSH_9.6 x\r\n'];
    for (const text of cases) assert.equal(detectHttp(Buffer.from(text, 'latin1')), 'not_http', JSON.stringify(text));
  });

  it('waits while the bytes so far could still be either', () => {
    for (const text of ['G', 'GET', 'GET /pa', 'GET / HTTP/1', 'GET / HTTP/1.1', 'GET / HTTP/1.1\r', 'P', 'PRI * HTTP/2.0\r\n', PREFACE.slice(0, 23)]) {
      assert.equal(detectHttp(Buffer.from(text, 'latin1')), undefined, JSON.stringify(text));
    }
  });

  it('a request line that starts like the HTTP/2 preface but diverges is HTTP/1', () => {
    assert.equal(detectHttp(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX', 'latin1')), 'http/1.0');
    assert.equal(detectHttp(Buffer.from('PRIX / HTTP/1.1\r\n', 'latin1')), 'http/1.1');
  });

  it('gives the same answer at every split and byte by byte', () => {
    for (const text of ['GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n', PREFACE, 'GET / HTTP/1.0\r\n', 'PRI * HTTP/2.0\r\n\r\nXX']) {
      const bytes = Buffer.from(text, 'latin1');
      const whole = detectHttp(bytes);
      for (let i = 1; i < bytes.length; i++) {
        const d = new HttpDetector();
        const first = d.push(bytes.subarray(0, i));
        assert.equal(first ?? d.push(bytes.subarray(i)), whole, `${JSON.stringify(text)} split at ${i}`);
      }
      const d = new HttpDetector();
      let verdict;
      for (const b of bytes) verdict = d.push(Buffer.from([b])) ?? verdict;
      assert.equal(verdict, whole);
    }
  });
});
