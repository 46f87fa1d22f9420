// Envoy's safe_regex is RE2; skein compiles it to a JS RegExp. The common RE2 syntax
// maps directly; the rest is translated here: leading inline flags `(?ims)` become
// RegExp flags, `(?P<name>` named groups, `\A` / `\z` anchors, `\pL`-style classes and
// POSIX bracket classes. Patterns JS cannot express are config errors, reported by the
// caller with the field path. Substitutions (`\1`, `\0`) are translated by
// compileRe2Substitution.

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** Rewrites RE2-only syntax into its JS spelling (outside and inside character classes). */
function translate(source: string, multiline: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) throw new Error('trailing backslash');
      if (!inClass && n === 'A') out += multiline ? '(?<![\\s\\S])' : '^';
      else if (!inClass && n === 'z') out += multiline ? '(?![\\s\\S])' : '$';
      else if ((n === 'p' || n === 'P') && source[i + 2] !== '{' && source[i + 2] !== undefined) {
        out += `\\${n}{${source[i + 2]}}`;
        i++;
      } else if (n === 'C') throw new Error('\\C is not supported');
      else out += c + n;
      i++;
      continue;
    }
    const posix = inClass && c === '[' ? /^\[:(\^?)([a-z]+):\]/.exec(source.slice(i)) : null;
    if (posix) {
      const cls = POSIX_CLASSES[posix[2]!];
      if (cls === undefined) throw new Error(`unknown POSIX class [:${posix[2]}:]`);
      if (posix[1]) throw new Error('negated POSIX classes are not supported');
      out += cls;
      i += posix[0].length - 1;
      continue;
    }
    if (c === '[' && !inClass) {
      inClass = true;
      out += c;
      // A leading `]` (or `^]`) is a literal in RE2 and must be escaped in JS.
      if (source[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return out;
}

export function compileRe2(pattern: string, anchored: boolean): RegExp {
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1]!.includes('U')) throw new Error('the ungreedy flag (?U) is not supported');
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s')) flags += 's';
    if (inline[1]!.includes('m')) flags += 'm';
  }
  const multiline = flags.includes('m');
  // RE2 named groups use (?P<name>...); JS spells them (?<name>...).
  source = translate(source.replace(/\(\?P</g, '(?<'), multiline);
  // A full match (RE2::FullMatch) covers the whole input even when `m` makes ^/$ line anchors.
  const wrapped = !anchored ? source : multiline ? `(?<![\\s\\S])(?:${source})(?![\\s\\S])` : `^(?:${source})$`;
  try {
    return new RegExp(wrapped, flags + 'u');
  } catch {
    // Some RE2 escapes are invalid in unicode mode but fine without it.
    try {
      return new RegExp(wrapped, flags);
    } catch (err) {
      // Report the user's pattern, not the wrapped source JavaScript saw.
      const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      throw new Error(`${JSON.stringify(pattern)}: ${reason}`);
    }
  }
}

/** Like compileRe2 but returns an error message instead of throwing. */
export function tryCompileRe2(pattern: string, anchored: boolean): RegExp | string {
  try {
    return compileRe2(pattern, anchored);
  } catch (err) {
    return `invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`;
  }
}

/** RE2's GlobalReplace: every non-overlapping match of `pattern` replaced by `substitution`. */
export type Re2Rewriter = (input: string) => string;

/**
 * Compiles a RegexMatchAndSubstitute. The substitution is RE2's: `\1`..`\9` insert a group,
 * `\0` the whole match, `\\` a backslash; everything else is literal.
 */
export function compileRe2Rewrite(pattern: string, substitution: string): Re2Rewriter {
  const re = compileRe2(pattern, false);
  const global = new RegExp(re.source, re.flags + 'g');
  const parts: Array<string | number> = [];
  let literal = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i]!;
    if (c === '\\' && i + 1 < substitution.length) {
      const n = substitution[++i]!;
      if (n >= '0' && n <= '9') {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(Number(n));
      } else literal += n;
    } else literal += c;
  }
  if (literal) parts.push(literal);
  const groups = new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
  for (const p of parts) {
    if (typeof p === 'number' && p > groups) throw new Error(`substitution refers to group \\${p} but the pattern has ${groups} group(s)`);
  }
  return (input) =>
    input.replace(global, (...args: unknown[]) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : ((args[p] as string | undefined) ?? '');
      return out;
    });
}
