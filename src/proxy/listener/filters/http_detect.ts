// Tells HTTP/1.x and HTTP/2 prior knowledge apart from the first bytes of a plaintext
// connection, for the http_inspector. HTTP/2 is its 24-byte connection preface (RFC 9113
// §3.4); HTTP/1.x is a request line (RFC 9112 §3: method SP request-target SP
// HTTP-version, ending in CRLF or a bare LF), and the version decides 1.1 vs 1.0 — any
// other well-formed version counts as 1.0, as in Envoy. Bytes are scanned once each, so
// a trickling client costs linear work; the first byte that cannot belong to a request
// line ends the inspection.

export type HttpDetection = 'http/1.0' | 'http/1.1' | 'h2c' | 'not_http';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

/** RFC 9110 tchar: the characters of a method token. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** HTTP-version is exactly "HTTP/" DIGIT "." DIGIT; 'd' stands for a digit. */
const VERSION_SHAPE = 'HTTP/d.d';

function versionCharOk(position: number, c: number): boolean {
  const want = VERSION_SHAPE[position];
  if (want === undefined) return false;
  return want === 'd' ? c >= 0x30 && c <= 0x39 : c === want.charCodeAt(0);
}

const enum Phase {
  Method,
  Target,
  Version,
  LineFeed,
}

export class HttpDetector {
  private result?: HttpDetection;
  /** Bytes kept while they could still be the HTTP/2 preface. */
  private prefix: Buffer[] = [];
  private prefixLength = 0;
  private prefaceExcluded = false;
  private phase = Phase.Method;
  private partLength = 0;
  private version = '';

  /** Feeds the next bytes; returns the verdict once there is one, else undefined. */
  push(chunk: Uint8Array): HttpDetection | undefined {
    if (this.result) return this.result;
    if (this.prefaceExcluded) return this.scan(chunk);
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.prefix.push(buf);
    this.prefixLength += buf.length;
    const seen = Buffer.concat(this.prefix, Math.min(this.prefixLength, PREFACE.length));
    if (seen.equals(PREFACE.subarray(0, seen.length))) {
      if (seen.length === PREFACE.length) return (this.result = 'h2c');
      return undefined;
    }
    this.prefaceExcluded = true;
    const held = Buffer.concat(this.prefix, this.prefixLength);
    this.prefix = [];
    return this.scan(held);
  }

  private scan(data: Uint8Array): HttpDetection | undefined {
    for (let i = 0; i < data.length && !this.result; i++) this.step(data[i]!);
    return this.result;
  }

  private step(c: number): void {
    switch (this.phase) {
      case Phase.Method:
        if (TCHAR[c]) this.partLength++;
        else if (c === SP && this.partLength > 0) this.next(Phase.Target);
        else this.result = 'not_http';
        return;
      case Phase.Target:
        if (c > SP && c !== 0x7f) this.partLength++;
        else if (c === SP && this.partLength > 0) this.next(Phase.Version);
        else this.result = 'not_http';
        return;
      case Phase.Version:
        if (c === CR || c === LF) {
          if (this.version.length !== VERSION_SHAPE.length) this.result = 'not_http';
          else if (c === LF) this.decide();
          else this.next(Phase.LineFeed);
        } else if (versionCharOk(this.version.length, c)) {
          this.version += String.fromCharCode(c);
        } else {
          this.result = 'not_http';
        }
        return;
      case Phase.LineFeed:
        if (c === LF) this.decide();
        else this.result = 'not_http';
        return;
    }
  }

  private next(phase: Phase): void {
    this.phase = phase;
    this.partLength = 0;
  }

  private decide(): void {
    this.result = this.version === 'HTTP/1.1' ? 'http/1.1' : 'http/1.0';
  }
}

/** One-shot form: the verdict after exactly these bytes, or undefined if they are not enough. */
export function detectHttp(data: Uint8Array): HttpDetection | undefined {
  return new HttpDetector().push(data);
}
