// "did you mean ...?" for misspelled field names and enum values.

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input` when it is plausibly a typo of it: at most
 * `maxDistance` edits (default: a quarter of the input's length, at least 2).
 */
export function closestMatch(input: string, candidates: string[], maxDistance?: number): string | undefined {
  const normalized = input.replace(/([A-Z])/g, '_$1').toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = Math.min(editDistance(input.toLowerCase(), c.toLowerCase()), editDistance(normalized, c.toLowerCase()));
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  const limit = maxDistance ?? Math.max(2, Math.floor(input.length / 4));
  if (bestDistance <= limit) return best;
  return maxDistance === undefined ? onlyCandidateWithAllWords(normalized, candidates) : undefined;
}

/** `http2_options` → `http2_protocol_options`: the one candidate holding every word of the input. */
function onlyCandidateWithAllWords(input: string, candidates: string[]): string | undefined {
  const words = input.split(/[_.]/).filter(Boolean);
  if (words.length === 0) return undefined;
  const matches = candidates.filter((c) => {
    const theirs = new Set(c.toLowerCase().split(/[_.]/));
    return words.every((w) => theirs.has(w));
  });
  return matches.length === 1 ? matches[0] : undefined;
}
