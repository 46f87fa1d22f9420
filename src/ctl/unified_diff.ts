// A line diff in unified format (`--- a` / `+++ b` / `@@ -l,n +l,n @@`), the way
// istioctl prints "proxy-status <pod>" differences (Go's difflib, 7 lines of
// context). Myers' O((N+M)·D) algorithm: config dumps are thousands of lines that
// usually differ in a few, so the cost follows the size of the difference.

type OpKind = 'equal' | 'delete' | 'insert';

interface Op {
  kind: OpKind;
  /** Line index in `a` before this op (for inserts: where the line goes). */
  aPos: number;
  bPos: number;
  line: string;
}

function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let done = false;
  for (let d = 0; d <= max && !done; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const tv = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && tv[off + k - 1]! < tv[off + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : tv[off + prevK]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: 'equal', aPos: x, bPos: y, line: a[x]! });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: 'insert', aPos: x, bPos: y - 1, line: b[y - 1]! });
      else ops.push({ kind: 'delete', aPos: x - 1, bPos: y, line: a[x - 1]! });
    }
    x = prevX;
    y = prevY;
  }
  ops.reverse();
  // Within a run of changes, deletions first (as difflib prints a replaced block).
  const out: Op[] = [];
  for (let i = 0; i < ops.length; ) {
    if (ops[i]!.kind === 'equal') {
      out.push(ops[i++]!);
      continue;
    }
    let j = i;
    while (j < ops.length && ops[j]!.kind !== 'equal') j++;
    const run = ops.slice(i, j);
    out.push(...run.filter((o) => o.kind === 'delete'), ...run.filter((o) => o.kind === 'insert'));
    i = j;
  }
  return out;
}

function range(start: number, length: number): string {
  if (length === 1) return String(start + 1);
  return length === 0 ? `${start},0` : `${start + 1},${length}`;
}

/** Unified diff of two texts, "" when they are equal. */
export function unifiedDiff(aText: string, bText: string, aName: string, bName: string, context = 7): string {
  const a = aText.split('\n');
  const b = bText.split('\n');
  const ops = editScript(a, b);
  const changed = ops.flatMap((o, i) => (o.kind === 'equal' ? [] : [i]));
  if (changed.length === 0) return '';
  const hunks: Array<[number, number]> = [];
  let first = changed[0]!;
  let last = first;
  for (const i of changed.slice(1)) {
    if (i - last - 1 > 2 * context) {
      hunks.push([first, last]);
      first = i;
    }
    last = i;
  }
  hunks.push([first, last]);
  const lines = [`--- ${aName}`, `+++ ${bName}`];
  for (const [from, to] of hunks) {
    const start = Math.max(0, from - context);
    const end = Math.min(ops.length, to + context + 1);
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((o) => o.kind !== 'insert').length;
    const bLen = hunk.filter((o) => o.kind !== 'delete').length;
    lines.push(`@@ -${range(hunk[0]!.aPos, aLen)} +${range(hunk[0]!.bPos, bLen)} @@`);
    for (const o of hunk) lines.push(`${o.kind === 'equal' ? ' ' : o.kind === 'delete' ? '-' : '+'}${o.line}`);
  }
  return lines.join('\n') + '\n';
}
