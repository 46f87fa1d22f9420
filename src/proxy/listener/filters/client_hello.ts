// A TLS ClientHello reader for the tls_inspector, written from RFC 8446 §4.1.2 / RFC 5246
// §6.2 + §7.4.1.2. It sees the first bytes of a connection as they arrive (a ClientHello
// may be split over TCP segments and over several handshake records), decides "not TLS"
// from the first byte that cannot be, and never throws: a listener filter must not be
// crashable by a client. Work is linear in the bytes fed (record fragments are collected
// once, the message is parsed once), so a client trickling bytes cannot make it quadratic.
import { ClientHelloBody } from './client_hello_body.js';

export interface ClientHelloResult {
  /** false: these bytes are not a (well-formed) TLS ClientHello. */
  isTls: boolean;
  /** true: the answer is final; false: more bytes are needed. */
  complete: boolean;
  /** The ClientHello did not fit in maxSize bytes (complete, isTls). */
  tooLarge?: boolean;
  sni?: string;
  alpn?: string[];
  /** supported_versions (ext 43) when sent, else [legacy_version]; GREASE removed. */
  versions?: number[];
  /** JA3 fingerprint string ("771,4865-4866,...") when asked for. */
  ja3?: string;
  /** Why the bytes are not TLS (for debug logs). */
  error?: string;
  /** Bytes fed so far. */
  bytes: number;
}

export interface ClientHelloOptions {
  /** Envoy gives up on ClientHellos over 64 KiB (TLS_MAX_CLIENT_HELLO); record headers count. */
  maxSize?: number;
  ja3?: boolean;
}

export const TLS_MAX_CLIENT_HELLO = 64 * 1024;

const CONTENT_TYPE_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const RECORD_HEADER = 5;
/** TLSPlaintext.length MUST NOT exceed 2^14 (RFC 8446 §5.1). */
const MAX_RECORD_PAYLOAD = 16384;

export class ClientHelloParser {
  private readonly maxSize: number;
  private readonly ja3: boolean;
  private result?: ClientHelloResult;
  private seen = 0;
  private readonly header = Buffer.alloc(RECORD_HEADER);
  private headerLength = 0;
  private recordRemaining = 0;
  /** Handshake bytes (record payloads) gathered so far. */
  private readonly fragments: Buffer[] = [];
  private handshakeLength = 0;
  /** Length of the ClientHello message body, once its 4-byte header is in. */
  private messageLength?: number;

  constructor(options: ClientHelloOptions = {}) {
    this.maxSize = options.maxSize ?? TLS_MAX_CLIENT_HELLO;
    this.ja3 = options.ja3 ?? false;
  }

  /** Feeds the next bytes of the connection; returns the state of knowledge after them. */
  push(chunk: Uint8Array): ClientHelloResult {
    if (this.result) return this.result;
    try {
      this.seen += chunk.length;
      return this.consume(chunk) ?? this.afterChunk();
    } catch (err) {
      // Unreachable by construction (every read is bounds-checked); kept so a bug here
      // turns into "not TLS" rather than a crashed listener.
      return this.finish({ isTls: false, complete: true, error: `parser error: ${(err as Error).message}` });
    }
  }

  private consume(chunk: Uint8Array): ClientHelloResult | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.recordRemaining === 0) {
        const take = Math.min(RECORD_HEADER - this.headerLength, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerLength);
        this.headerLength += take;
        offset += take;
        const verdict = this.checkHeader();
        if (verdict) return verdict;
        if (this.headerLength < RECORD_HEADER) return undefined;
        this.recordRemaining = this.header.readUInt16BE(3);
        this.headerLength = 0;
        continue;
      }
      const take = Math.min(this.recordRemaining, chunk.length - offset);
      this.fragments.push(Buffer.from(chunk.subarray(offset, offset + take)));
      this.handshakeLength += take;
      this.recordRemaining -= take;
      offset += take;
      const verdict = this.checkHandshake();
      if (verdict) return verdict;
    }
    return undefined;
  }

  /** Rejects as early as each header byte allows: plaintext fails on its first byte. */
  private checkHeader(): ClientHelloResult | undefined {
    const h = this.header;
    if (this.headerLength >= 1 && h[0] !== CONTENT_TYPE_HANDSHAKE) {
      return this.notTls(this.handshakeLength ? 'non-handshake record inside the ClientHello' : 'not a TLS handshake record');
    }
    // Every TLS version, and the record layer of TLS 1.3, uses major version 3.
    if (this.headerLength >= 2 && h[1] !== 3) return this.notTls(`bad record major version ${h[1]}`);
    if (this.headerLength === RECORD_HEADER) {
      const length = h.readUInt16BE(3);
      if (length === 0) return this.notTls('empty handshake record');
      if (length > MAX_RECORD_PAYLOAD) return this.notTls(`record length ${length} over 2^14`);
    }
    return undefined;
  }

  private checkHandshake(): ClientHelloResult | undefined {
    const first = this.fragments[0];
    if (first && first[0] !== HANDSHAKE_CLIENT_HELLO) return this.notTls(`first handshake message is type ${first[0]}, not ClientHello`);
    if (this.messageLength === undefined) {
      if (this.handshakeLength < 4) return undefined;
      const head = this.handshakeBytes(4);
      this.messageLength = head.readUIntBE(1, 3);
      // The fewest bytes the ClientHello can arrive in: its message plus one header per full record.
      const payload = 4 + this.messageLength;
      const leastTotal = payload + RECORD_HEADER * Math.ceil(payload / MAX_RECORD_PAYLOAD);
      if (leastTotal > this.maxSize) return this.finish({ isTls: true, complete: true, tooLarge: true });
    }
    if (this.handshakeLength < 4 + this.messageLength) return undefined;
    const message = this.handshakeBytes(4 + this.messageLength).subarray(4);
    return this.finish(parseBody(message, this.ja3));
  }

  private afterChunk(): ClientHelloResult {
    if (this.seen >= this.maxSize) return this.finish({ isTls: true, complete: true, tooLarge: true });
    return { isTls: true, complete: false, bytes: this.seen };
  }

  /** The first `n` handshake bytes as one buffer (fragments merged in place). */
  private handshakeBytes(n: number): Buffer {
    if (this.fragments[0]!.length < n) {
      const merged = Buffer.concat(this.fragments);
      this.fragments.length = 0;
      this.fragments.push(merged);
    }
    return this.fragments[0]!.subarray(0, n);
  }

  private notTls(error: string): ClientHelloResult {
    return this.finish({ isTls: false, complete: true, error });
  }

  private finish(result: Omit<ClientHelloResult, 'bytes'>): ClientHelloResult {
    this.result = { ...result, bytes: this.seen };
    this.fragments.length = 0;
    return this.result;
  }
}

/** One-shot form: the state of knowledge after exactly these bytes. */
export function parseClientHello(data: Uint8Array, options?: ClientHelloOptions): ClientHelloResult {
  return new ClientHelloParser(options).push(data);
}

function parseBody(message: Buffer, ja3: boolean): Omit<ClientHelloResult, 'bytes'> {
  const body = ClientHelloBody.parse(message);
  if (typeof body === 'string') return { isTls: false, complete: true, error: body };
  const result: Omit<ClientHelloResult, 'bytes'> = { isTls: true, complete: true, versions: body.versions() };
  const sni = body.serverName();
  if (sni !== undefined) result.sni = sni;
  const alpn = body.alpn();
  if (alpn) result.alpn = alpn;
  if (ja3) result.ja3 = body.ja3();
  return result;
}
