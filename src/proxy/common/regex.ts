// Envoy's safe_regex is RE2; skein compiles it to a JS RegExp. The common RE2 syntax
// maps directly; a leading `(?i)` becomes the `i` flag. Patterns JS cannot compile
// are config errors, reported by the caller with the field path.

export function compileRe2(pattern: string, anchored: boolean): RegExp {
  let source = pattern;
  let flags = 'u';
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s')) flags += 's';
    if (inline[1]!.includes('m')) flags += 'm';
  }
  // RE2 named groups use (?P<name>...); JS spells them (?<name>...).
  source = source.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(anchored ? `^(?:${source})$` : source, flags);
  } catch {
    // Some RE2 escapes are invalid in unicode mode but fine without it.
    return new RegExp(anchored ? `^(?:${source})$` : source, flags.replace('u', ''));
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
