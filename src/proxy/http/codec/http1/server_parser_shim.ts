// Node's HTTPParser binding hands a head with more than 32 header fields to JS in
// pieces: kOnHeaders(headers, url) for each flushed batch, then kOnHeadersComplete
// with `headers` and `url` undefined. Http1Parser (parser.ts) treats every
// kOnHeaders batch as trailers and spreads `rawHeaders`, so such a head throws
// ("rawHeaders is not iterable") and loses its URL. Until parser.ts handles the
// flushed case itself, this wraps its callbacks on the native parser: batches that
// arrive before the head completes are collected and passed in as the head's
// headers and URL; batches after it (trailers) still go to parser.ts. Harmless once
// parser.ts is fixed (it then simply receives complete arguments).
// It also hooks kOnMessageBegin (the first byte of each message), which parser.ts
// does not expose and the request-headers timeout starts from.
import { HTTPParser } from '_http_common';
import type { Http1Parser } from './parser.js';

const { kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnMessageComplete } = HTTPParser as unknown as Record<string, number>;

/** False when parser.ts no longer looks as expected (then nothing is changed). */
export function installParserHooks(parser: Http1Parser, onMessageBegin?: () => void): boolean {
  const native = (parser as unknown as { parser?: Record<number, unknown> }).parser;
  if (!native || typeof native[kOnHeadersComplete] !== 'function') return false;
  if (onMessageBegin) native[kOnMessageBegin] = onMessageBegin;
  const onHeaders = native[kOnHeaders] as (headers: string[], url: string) => void;
  const onHeadersComplete = native[kOnHeadersComplete] as (...args: unknown[]) => number;
  const onMessageComplete = native[kOnMessageComplete] as () => void;
  let inHead = true;
  let headHeaders: string[] = [];
  let headUrl = '';
  native[kOnHeaders] = (headers: string[], url: string): void => {
    if (!inHead) {
      onHeaders(headers, url);
      return;
    }
    for (const h of headers) headHeaders.push(h);
    if (url) headUrl += url;
  };
  native[kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number | undefined, url: string | undefined, ...rest: unknown[]): number => {
    inHead = false;
    if (headers === undefined) {
      // The flushed (slow) case: both arrived through kOnHeaders.
      headers = headHeaders;
      url ??= headUrl;
      headHeaders = [];
      headUrl = '';
    }
    return onHeadersComplete(major, minor, headers, method, url, ...rest);
  };
  native[kOnMessageComplete] = (): void => {
    inHead = true;
    onMessageComplete();
  };
  return true;
}
