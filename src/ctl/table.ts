// Tables the way istioctl prints them: Go's text/tabwriter with a minimum cell
// width of 0, padding N and spaces. Every cell but the last of a row is padded to
// its column's widest cell plus the padding; the last cell is written as-is, so a
// row whose last cell is empty keeps the padding of the cell before it (istioctl's
// route rows without a VIRTUAL SERVICE end in spaces, and so do ours). Users pipe
// these tables through grep/awk the way the seeds do, so the spacing is part of
// the interface.

/** Padding istioctl uses: 1 for `proxy-config listener`, 5 for every other table. */
export const LISTENER_PADDING = 1;
export const DEFAULT_PADDING = 5;

/** Width in characters (code points), as tabwriter counts UTF-8 runes. */
function width(cell: string): number {
  let n = 0;
  for (const _ of cell) n++;
  return n;
}

/** `rows[0]` is the header. Every row should have the same number of cells. */
export function formatTable(rows: readonly (readonly string[])[], padding = DEFAULT_PADDING): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) widths.push(Math.max(0, ...rows.map((r) => width(r[c] ?? ''))));
  let out = '';
  for (const row of rows) {
    let line = '';
    for (let c = 0; c < row.length; c++) {
      const cell = row[c] ?? '';
      line += c === row.length - 1 ? cell : cell + ' '.repeat(widths[c]! - width(cell) + padding);
    }
    out += line + '\n';
  }
  return out;
}
