// Pure pieces of the HTTP/1 client codec: head encoding and finding a 101 head's end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';
import { encodeRequestHead } from '../../../../src/proxy/upstream/conn_pool/http1/request_encoder.js';
import { headEndOffset } from '../../../../src/proxy/upstream/conn_pool/http1/upgrade_head.js';
import type { UpstreamRequest } from '../../../../src/proxy/upstream/conn_pool/types.js';

function req(method: string, headers: Record<string, string>, body: UpstreamRequest['body'] = null): UpstreamRequest {
  return { method, path: '/p', headers: HeaderMap.from({ ':method': method, ':path': '/p', ':scheme': 'https', ...headers }), body };
}

describe('encodeRequestHead', () => {
  it('puts host (from :authority) first and keeps the order of the rest', () => {
    const { head, framing } = encodeRequestHead(req('GET', { 'x-b': '2', ':authority': 'svc:8080', 'x-a': '1' }));
    assert.equal(head, 'GET /p HTTP/1.1\r\nhost: svc:8080\r\nx-b: 2\r\nx-a: 1\r\n\r\n');
    assert.equal(framing, 'none');
  });

  it('keeps repeated headers as separate lines', () => {
    const h = HeaderMap.from({ ':authority': 'a' });
    h.add('cookie', 'a=1');
    h.add('cookie', 'b=2');
    const { head } = encodeRequestHead({ method: 'GET', path: '/', headers: h, body: null });
    assert.equal(head, 'GET / HTTP/1.1\r\nhost: a\r\ncookie: a=1\r\ncookie: b=2\r\n\r\n');
  });

  it('chooses the framing from the body and the headers', () => {
    assert.equal(encodeRequestHead(req('POST', { ':authority': 'a' }, Buffer.from('x'))).framing, 'buffer');
    assert.equal(encodeRequestHead(req('POST', { ':authority': 'a' }, Buffer.alloc(0))).framing, 'none');
    assert.equal(encodeRequestHead(req('POST', { ':authority': 'a', 'content-length': '3' }, new Readable())).framing, 'length');
    assert.equal(encodeRequestHead(req('POST', { ':authority': 'a' }, new Readable())).framing, 'chunked');
  });

  it('rejects CR, LF and NUL in names, values and the target', () => {
    assert.throws(() => encodeRequestHead(req('GET', { 'x-a': 'v\nx' })));
    assert.throws(() => encodeRequestHead(req('GET', { 'x-a': 'v\0' })));
    assert.throws(() => encodeRequestHead({ method: 'GET', path: '/a b', headers: new HeaderMap(), body: null }));
    assert.throws(() => encodeRequestHead({ method: 'GET', path: '/a\r\nX: y', headers: new HeaderMap(), body: null }));
  });
});

describe('headEndOffset', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('finds the end of the nth head in a chunk', () => {
    const chunk = b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching\r\nupgrade: x\r\n\r\nDATA');
    assert.equal(chunk.subarray(headEndOffset(chunk, 2)).toString(), 'DATA');
    assert.equal(chunk.subarray(headEndOffset(chunk, 1)).toString().startsWith('HTTP/1.1 101'), true);
  });
  it('accepts bare LF line ends', () => {
    const chunk = b('HTTP/1.1 101 S\nupgrade: x\n\nDATA');
    assert.equal(chunk.subarray(headEndOffset(chunk, 1)).toString(), 'DATA');
  });
  it('handles a terminator split across chunks', () => {
    assert.equal(headEndOffset(b('\nDATA'), 1, b('x: y\r\n\r')), 1);
    assert.equal(headEndOffset(b('\r\nDATA'), 1, b('x: y\r\n')), 2);
    assert.equal(headEndOffset(b('DATA'), 1, b('x: y\r\n\r\n')), 4, 'a terminator wholly in the carry is not in this chunk');
  });
});
