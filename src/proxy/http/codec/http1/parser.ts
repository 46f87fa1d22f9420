// A typed wrapper over llhttp as Node.js ships it (the HTTPParser binding node:http
// itself uses). skein drives it directly on sockets so both directions of a proxied
// request cost one parse and one write, with no stream objects in between. llhttp
// stays strict: Content-Length/Transfer-Encoding conflicts, bad chunk sizes and
// oversized heads are errors (request smuggling defences).
// `_http_common` is Node's own module for this binding; it has been stable since
// Node 12 and is what node:http builds on.
import { HTTPParser, methods } from '_http_common';

export type ParserKind = 'request' | 'response';

export interface ParsedHead {
  versionMajor: number;
  versionMinor: number;
  /** Flat [name, value, ...] as received (case preserved). */
  rawHeaders: string[];
  /** Requests: method name and request target. */
  method?: string;
  url?: string;
  /** Responses: status code and reason phrase. */
  statusCode?: number;
  statusMessage?: string;
  upgrade: boolean;
  shouldKeepAlive: boolean;
}

export interface ParserEvents {
  /** The first byte of a message arrived (header timeouts start here). */
  onMessageBegin?(): void;
  /** Return true for a response to a HEAD request (no body follows). */
  onHead(head: ParsedHead): boolean | void;
  onBody(chunk: Buffer): void;
  /** The message is complete; `trailers` is the flat list, possibly empty. */
  onComplete(trailers: string[]): void;
}

export interface ParseError {
  code: string;
  reason: string;
}

const { kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } = HTTPParser as unknown as Record<string, number>;

export class Http1Parser {
  private readonly parser: any;
  /** Header fields flushed early: part of a large head (before it completes) or trailers. */
  private flushed: string[] = [];
  private flushedUrl = '';
  private inHead = true;

  constructor(
    kind: ParserKind,
    private readonly events: ParserEvents,
    maxHeaderBytes: number,
  ) {
    const parser = new (HTTPParser as any)();
    parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderBytes, 0);
    parser[kOnMessageBegin] = () => {
      this.inHead = true;
      this.events.onMessageBegin?.();
    };
    // The binding hands over header fields in batches of 32: a large head arrives here
    // (with the URL) before onHeadersComplete, which then gets undefined for both;
    // after the head, batches are trailers.
    parser[kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.flushed.push(h);
      if (this.inHead && url) this.flushedUrl += url;
    };
    parser[kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      rawHeaders: string[],
      method: number | undefined,
      url: string | undefined,
      statusCode: number | undefined,
      statusMessage: string | undefined,
      upgrade: boolean,
      shouldKeepAlive: boolean,
    ): number => {
      let headers = rawHeaders;
      let target = url;
      if (rawHeaders === undefined) {
        headers = this.flushed;
        target = url ?? this.flushedUrl;
      } else if (this.flushed.length) headers = [...this.flushed, ...rawHeaders];
      this.flushed = [];
      this.flushedUrl = '';
      this.inHead = false;
      const skipBody = this.events.onHead({
        versionMajor,
        versionMinor,
        rawHeaders: headers ?? [],
        method: method === undefined ? undefined : (methods as string[])[method],
        url: target,
        statusCode,
        statusMessage,
        upgrade,
        shouldKeepAlive,
      });
      // 1 tells llhttp "no body" (responses to HEAD); 0 parses on.
      return skipBody ? 1 : 0;
    };
    parser[kOnBody] = (chunk: Buffer) => this.events.onBody(chunk);
    parser[kOnMessageComplete] = () => {
      const trailers = this.flushed;
      this.flushed = [];
      this.inHead = true;
      this.events.onComplete(trailers);
    };
    this.parser = parser;
  }

  /** Bytes the last execute() consumed (less than given after an upgrade head). */
  consumed = 0;

  /** Feeds bytes; returns a ParseError when the input is not valid HTTP/1. */
  execute(data: Buffer): ParseError | undefined {
    const result = this.parser.execute(data);
    if (result instanceof Error) {
      const e = result as Error & { code?: string; reason?: string; bytesParsed?: number };
      this.consumed = e.bytesParsed ?? 0;
      return { code: e.code ?? 'HPE_ERROR', reason: e.reason ?? e.message };
    }
    this.consumed = typeof result === 'number' ? result : data.length;
    return undefined;
  }

  /** End of input (the peer closed): completes a read-until-close body, or errors. */
  finish(): ParseError | undefined {
    const result = this.parser.finish();
    if (result instanceof Error) {
      const e = result as Error & { code?: string; reason?: string };
      return { code: e.code ?? 'HPE_ERROR', reason: e.reason ?? e.message };
    }
    return undefined;
  }

  pause(): void {
    this.parser.pause();
  }

  resume(): void {
    this.parser.resume();
  }

  /** Releases the native parser. */
  close(): void {
    this.parser.close();
  }
}
