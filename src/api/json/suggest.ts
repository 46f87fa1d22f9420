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

/** The candidate closest to `input` when it is plausibly a typo of it. */
export function closestMatch(input: string, candidates: string[]): string | undefined {
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
  const limit = Math.max(2, Math.floor(input.length / 4));
  return bestDistance <= limit ? best : undefined;
}
