// The body of a ClientHello message (RFC 8446 §4.1.2) and the extensions the inspector
// reads: server_name (RFC 6066 §3), ALPN (RFC 7301 §3.1), supported_versions (RFC 8446
// §4.2.1), and for JA3 supported_groups / ec_point_formats. Strictness follows what
// BoringSSL (Envoy's parser) rejects: a ClientHello it would refuse is "not TLS".

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_EC_POINT_FORMATS = 11;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const MAX_HOST_NAME = 255;

/** Bounds-checked big-endian reads; every read returns undefined past the end. */
class Reader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  uint(bytes: 1 | 2 | 3): number | undefined {
    if (this.remaining < bytes) return undefined;
    const v = this.data.readUIntBE(this.offset, bytes);
    this.offset += bytes;
    return v;
  }

  bytes(n: number): Buffer | undefined {
    if (this.remaining < n) return undefined;
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A <lengthBytes>-prefixed vector. */
  vector(lengthBytes: 1 | 2): Buffer | undefined {
    const n = this.uint(lengthBytes);
    return n === undefined ? undefined : this.bytes(n);
  }
}

/** GREASE values (RFC 8701: 0x0A0A, 0x1A1A, ...) carry no meaning and are left out of JA3. */
function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

function uint16List(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(data.readUInt16BE(i));
  return out;
}

export class ClientHelloBody {
  private constructor(
    readonly legacyVersion: number,
    readonly cipherSuites: number[],
    readonly extensions: ReadonlyMap<number, Buffer>,
    /** Extension types in the order sent (JA3 keeps the order). */
    readonly extensionOrder: number[],
  ) {}

  /** Parses the message after its 4-byte handshake header; a string is the reason it is malformed. */
  static parse(message: Buffer): ClientHelloBody | string {
    const r = new Reader(message);
    const legacyVersion = r.uint(2);
    if (legacyVersion === undefined || !r.bytes(32)) return 'ClientHello too short';
    const sessionId = r.vector(1);
    if (!sessionId || sessionId.length > 32) return 'bad legacy_session_id';
    const ciphers = r.vector(2);
    if (!ciphers || ciphers.length < 2 || ciphers.length % 2) return 'bad cipher_suites';
    const compression = r.vector(1);
    if (!compression || compression.length < 1) return 'bad legacy_compression_methods';
    const extensions = new Map<number, Buffer>();
    const order: number[] = [];
    // Pre-TLS 1.2 clients may end the ClientHello here, with no extensions block.
    if (r.remaining > 0) {
      const block = r.vector(2);
      if (!block || r.remaining !== 0) return 'bad extensions block';
      const er = new Reader(block);
      while (er.remaining > 0) {
        const type = er.uint(2);
        const data = type === undefined ? undefined : er.vector(2);
        if (type === undefined || !data) return 'truncated extension';
        if (extensions.has(type)) return `duplicate extension ${type}`;
        extensions.set(type, data);
        order.push(type);
      }
    }
    const body = new ClientHelloBody(legacyVersion, uint16List(ciphers), extensions, order);
    const sni = body.readServerName();
    return typeof sni === 'object' ? sni.error : body;
  }

  /** The host_name from server_name, if sent (validated when the body is parsed). */
  serverName(): string | undefined {
    const sni = this.readServerName();
    return typeof sni === 'string' ? sni : undefined;
  }

  /**
   * BoringSSL refuses a server_name list that is not exactly one non-empty host_name of at
   * most 255 bytes without NULs, so such a ClientHello never counts as TLS in Envoy.
   */
  private readServerName(): string | undefined | { error: string } {
    const ext = this.extensions.get(EXT_SERVER_NAME);
    if (!ext) return undefined;
    const r = new Reader(ext);
    const list = r.vector(2);
    if (!list || r.remaining !== 0) return { error: 'bad server_name extension' };
    const lr = new Reader(list);
    const type = lr.uint(1);
    const name = lr.vector(2);
    if (type !== 0 || !name || lr.remaining !== 0) return { error: 'server_name must hold exactly one host_name' };
    if (name.length === 0 || name.length > MAX_HOST_NAME || name.includes(0)) return { error: 'bad host_name in server_name' };
    return name.toString('latin1');
  }

  /** ALPN protocol names; a malformed list is ignored (Envoy leaves it to the TLS stack). */
  alpn(): string[] | undefined {
    const ext = this.extensions.get(EXT_ALPN);
    if (!ext) return undefined;
    const r = new Reader(ext);
    const list = r.vector(2);
    if (!list || r.remaining !== 0 || list.length < 2) return undefined;
    const lr = new Reader(list);
    const names: string[] = [];
    while (lr.remaining > 0) {
      const name = lr.vector(1);
      if (!name || name.length === 0) return undefined;
      names.push(name.toString('latin1'));
    }
    return names;
  }

  /** Versions the client offers: supported_versions when present, else legacy_version. */
  versions(): number[] {
    const ext = this.extensions.get(EXT_SUPPORTED_VERSIONS);
    const list = ext ? new Reader(ext).vector(1) : undefined;
    if (!list) return [this.legacyVersion];
    return uint16List(list).filter((v) => !isGrease(v));
  }

  /** JA3 (github.com/salesforce/ja3): version,ciphers,extensions,groups,point formats. */
  ja3(): string {
    const noGrease = (list: number[]) => list.filter((v) => !isGrease(v)).join('-');
    const groupsExt = this.extensions.get(EXT_SUPPORTED_GROUPS);
    const groups = groupsExt ? new Reader(groupsExt).vector(2) : undefined;
    const formatsExt = this.extensions.get(EXT_EC_POINT_FORMATS);
    const formats = formatsExt ? new Reader(formatsExt).vector(1) : undefined;
    return [
      String(this.legacyVersion),
      noGrease(this.cipherSuites),
      noGrease(this.extensionOrder),
      groups ? noGrease(uint16List(groups)) : '',
      formats ? [...formats].join('-') : '',
    ].join(',');
  }
}
