// Request bodies for go-httpbin's bodyResponse: read with its 1 MiB limit, then split into
// data / form / files / json the way its parseBody does, keyed on the Content-Type.
import type http from 'node:http';
import { parseQuery, sortedRecord, type Values } from './gohttp.js';

export const MAX_BODY_SIZE = 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor() {
    super('http: request body too large');
  }
}

/** Reads the whole body; rejects with BodyTooLarge past `limit` (like http.MaxBytesReader). */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_SIZE): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export interface ParsedBody {
  data: string;
  files: Values;
  form: Values;
  json: unknown;
}

// Methods for which Go's ParseForm fills PostForm (go-httpbin adds GET and DELETE).
const FORM_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']);

/** go-httpbin's parseBody; throws an Error (→ 400 "error parsing request body: ...") on bad input. */
export async function parseBody(method: string, contentTypeHeader: string | undefined, body: Buffer): Promise<ParsedBody> {
  const out: ParsedBody = { data: '', files: {}, form: {}, json: null };
  if (body.length === 0) return out;
  out.data = body.toString('utf8');
  const ct = (contentTypeHeader ?? '').split(';', 1)[0];
  switch (ct) {
    case 'text/html':
    case 'text/plain':
      return out;
    case 'application/x-www-form-urlencoded': {
      if (!FORM_METHODS.has(method)) return out;
      const parsed = parseQuery(out.data);
      if (parsed.error) throw new Error(parsed.error);
      out.form = parsed.values;
      return out;
    }
    case 'multipart/form-data':
      await parseMultipart(contentTypeHeader as string, body, out);
      return out;
    case 'application/json':
      out.json = JSON.parse(out.data);
      return out;
    default:
      // unknown types come back as a data: URL, base64 in Go's URL alphabet (with padding)
      out.data = `data:${ct || 'application/octet-stream'};base64,${body.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
      return out;
  }
}

// The fetch API's multipart parser (undici, bundled with node) does the wire format for us.
async function parseMultipart(contentType: string, body: Buffer, out: ParsedBody): Promise<void> {
  let fd: FormData;
  try {
    fd = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new Error('multipart: NextPart: EOF');
  }
  const form = new Map<string, string[]>();
  const files = new Map<string, string[]>();
  for (const [name, value] of fd.entries()) {
    const isFile = typeof value !== 'string';
    const target = isFile ? files : form;
    const text = isFile ? await (value as Blob).text() : (value as string);
    const list = target.get(name);
    if (list) list.push(text);
    else target.set(name, [text]);
  }
  out.form = sortedRecord(form);
  out.files = sortedRecord(files);
}
