// /status/{codes}: one code, or a weighted random pick from `200:0.9,500:0.1`, answered with
// the headers and bodies go-httpbin uses for its special codes (redirects, auth challenges,
// 402, 406, 418).
import type http from 'node:http';

const TEXT = 'text/plain; charset=utf-8';
const JSON_CT = 'application/json; charset=utf-8';

interface SpecialCase {
  headers: Record<string, string>;
  body?: string;
}

const REDIRECT: SpecialCase = { headers: { Location: '/redirect/1' } };

const SPECIAL: Record<number, SpecialCase> = {
  300: {
    headers: { Location: '/image/jpeg' },
    body: `<!doctype html>
<head>
<title>Multiple Choices</title>
</head>
<body>
<ul>
<li><a href="/image/jpeg">/image/jpeg</a></li>
<li><a href="/image/png">/image/png</a></li>
<li><a href="/image/svg">/image/svg</a></li>
</body>
</html>`,
  },
  301: REDIRECT,
  302: REDIRECT,
  303: REDIRECT,
  305: REDIRECT,
  307: REDIRECT,
  308: {
    headers: { Location: '/image/jpeg' },
    body: `<!doctype html>
<head>
<title>Permanent Redirect</title>
</head>
<body>Permanently redirected to <a href="/image/jpeg">/image/jpeg</a>
</body>
</html>`,
  },
  401: { headers: { 'WWW-Authenticate': 'Basic realm="Fake Realm"' } },
  402: { headers: { 'X-More-Info': 'http://vimeo.com/22053820' }, body: 'Fuck you, pay me!' },
  406: {
    headers: { 'Content-Type': JSON_CT },
    body: `{
  "message": "Client did not request a supported media type",
  "accept": [
    "image/webp",
    "image/svg+xml",
    "image/jpeg",
    "image/png",
    "image/"
  ]
}
`,
  },
  407: { headers: { 'Proxy-Authenticate': 'Basic realm="Fake Realm"' } },
  418: { headers: { 'X-More-Info': 'http://tools.ietf.org/html/rfc2324' }, body: "I'm a teapot!" },
};

// Go's http.StatusText where node's reason phrase differs.
const GO_REASON: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: "I'm a teapot",
};

function atoi(s: string): number | null {
  return /^[+-]?\d+$/.test(s) ? Number(s) : null;
}

/** The code to answer with, or an error detail for the 400 go-httpbin returns. */
export function chooseStatus(raw: string, random: () => number = Math.random): number | Error {
  if (!raw.includes(',')) {
    const code = atoi(raw);
    if (code === null) return new Error(`invalid status code: ${JSON.stringify(raw)}: strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`);
    if (code < 100 || code > 599) return new Error(`invalid status code: ${code} not in range [100, 599]`);
    return code;
  }
  const choices: Array<{ code: number; weight: number }> = [];
  for (const pair of raw.split(',')) {
    const colon = pair.indexOf(':');
    const rawCode = colon < 0 ? pair : pair.slice(0, colon);
    let weight = 1;
    if (colon >= 0) {
      const rawWeight = pair.slice(colon + 1);
      weight = Number(rawWeight);
      if (rawWeight.trim() === '' || !Number.isFinite(weight)) return new Error(`invalid weight value: ${JSON.stringify(rawWeight)}`);
    }
    const code = atoi(rawCode);
    // go-httpbin does not range-check weighted codes; Go would then panic writing them
    if (code === null || code < 100 || code > 599) return new Error(`invalid choice value: ${JSON.stringify(rawCode)}`);
    choices.push({ code, weight });
  }
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  const pick = random() * total;
  let acc = 0;
  for (const c of choices) {
    acc += c.weight;
    if (pick < acc) return c.code;
  }
  return choices[choices.length - 1].code;
}

/**
 * Writes the status response. Go sends a 1xx as an informational response and then, since
 * the handler wrote nothing else, a 200; node can send the informational ones it knows.
 */
export function writeStatus(res: http.ServerResponse, code: number): void {
  const headers: Record<string, string | number> = { 'Content-Type': TEXT };
  if (code < 200) {
    if (code === 100) res.writeContinue();
    else if (code === 102) res.writeProcessing();
    else if (code === 103) res.writeEarlyHints({});
    code = 200;
  }
  const special = SPECIAL[code];
  if (special) Object.assign(headers, special.headers);
  const body = special?.body ?? '';
  if (code !== 204 && code !== 304) headers['Content-Length'] = Buffer.byteLength(body);
  const reason = GO_REASON[code];
  if (reason) res.writeHead(code, reason, headers);
  else res.writeHead(code, headers);
  res.end(code === 204 || code === 304 ? undefined : body);
}
