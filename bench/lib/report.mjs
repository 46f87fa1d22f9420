// Turning measurements into the tables run.mjs prints and the markdown it writes.
// Every ratio is against nginx, the reference DESIGN §6 budgets are stated in.

/** Median of the rounds (robust to one disturbed round when rounds >= 3). */
export function median(values) {
  const v = values.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Collapse a target's rounds into one row of medians. Added latency is taken per
 * round against the direct measurement made just before it (r.directRate), so a
 * drift of the baseline between the first and the last proxy does not leak in.
 */
export function summarize(rounds) {
  const m = (pick) => median(rounds.map(pick));
  const row = {
    rps: m((r) => r.wrk.rps),
    p50: m((r) => r.wrk.p50),
    p99: m((r) => r.wrk.p99),
    rate: m((r) => r.rate?.rate),
    rateP50: m((r) => r.rate?.p50),
    rateP99: m((r) => r.rate?.p99),
    loadedRssMb: m((r) => r.loadedRssMb),
    cpuWrk: m((r) => r.wrk.cpuPct),
    otherWrk: m((r) => r.wrk.otherCpuPct),
    otherRate: m((r) => Math.max(r.rate?.otherCpuPct ?? 0, r.directRate?.otherCpuPct ?? 0)),
    rateErrors: rounds.reduce((a, r) => a + (r.rate?.errors ?? 0), 0),
    errors: rounds.reduce((a, r) => a + r.wrk.non2xx + r.wrk.socketErrors + (r.rate?.errors ?? 0), 0),
  };
  if (rounds.every((r) => r.directRate)) {
    row.directP50 = m((r) => r.directRate.p50);
    row.directP99 = m((r) => r.directRate.p99);
    row.addedP50 = m((r) => (r.rate.p50 == null ? null : r.rate.p50 - r.directRate.p50));
    row.addedP99 = m((r) => (r.rate.p99 == null ? null : r.rate.p99 - r.directRate.p99));
  }
  return row;
}

const ratio = (a, b) => (a != null && b != null && b > 0 ? a / b : null);

/** Rows with the ratios to nginx filled in. */
export function withRatios(rows) {
  const ref = rows.find((r) => r.name === 'nginx');
  return rows.map((r) => ({
    ...r,
    rpsX: ratio(r.rps, ref?.rps),
    p50X: ratio(r.p50, ref?.p50),
    p99X: ratio(r.p99, ref?.p99),
    addedP50X: r.addedP50 != null ? ratio(Math.max(r.addedP50, 0), ref?.addedP50) : null,
    addedP99X: r.addedP99 != null ? ratio(Math.max(r.addedP99, 0), ref?.addedP99) : null,
  }));
}

const f = {
  int: (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US')),
  ms: (v) => (v == null ? '-' : v < 1 ? `${Math.round(v * 1000)}µs` : `${v.toFixed(2)}ms`),
  us: (v) => (v == null ? '-' : `${Math.round(v)}µs`),
  x: (v) => (v == null ? '-' : `${v.toFixed(2)}×`),
  mb: (v) => (v == null ? '-' : `${v.toFixed(1)}`),
};

/** Other processes took more than 15% of a CPU during this row's measurements. */
export const disturbed = (r) => (r.otherWrk ?? 0) > 15 || (r.otherRate ?? 0) > 15;

const COLUMNS = [
  ['proxy', (r) => (disturbed(r) ? `${r.name} †` : r.name)],
  ['req/s', (r) => f.int(r.rps)],
  ['×nginx', (r) => f.x(r.rpsX)],
  ['CPU%', (r) => (r.cpuWrk == null ? '-' : String(r.cpuWrk))], // the proxy's, during wrk
  ['p50', (r) => f.ms(r.p50)],
  ['×nginx', (r) => f.x(r.p50X)],
  ['p99', (r) => f.ms(r.p99)],
  ['×nginx', (r) => f.x(r.p99X)],
  ['@rate p50', (r) => f.us(r.rateP50)],
  ['@rate p99', (r) => f.us(r.rateP99)],
  ['direct p50/p99', (r) => (r.directP50 == null ? '-' : `${Math.round(r.directP50)}/${f.us(r.directP99)}`)],
  ['added p50', (r) => f.us(r.addedP50)],
  ['×nginx', (r) => f.x(r.addedP50X)],
  ['added p99', (r) => f.us(r.addedP99)],
  ['×nginx', (r) => f.x(r.addedP99X)],
  ['RSS MB @2s', (r) => f.mb(r.startRssMb)],
  ['idle RSS MB', (r) => f.mb(r.idleRssMb)],
  ['loaded RSS MB', (r) => f.mb(r.loadedRssMb)],
  ['errors', (r) => String(r.errors ?? 0)],
  // CPU% that processes we did not start used during the wrk / rate windows (noise)
  ['others CPU%', (r) => `${r.otherWrk ?? '-'}/${r.otherRate ?? '-'}`],
];

function cells(rows) {
  return [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, get]) => get(r)))];
}

export function textTable(rows) {
  const t = cells(rows);
  const w = t[0].map((_, i) => Math.max(...t.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(t[0]), w.map((n) => '-'.repeat(n)).join('  '), ...t.slice(1).map(line)].join('\n');
}

export function markdownTable(rows) {
  const t = cells(rows);
  return [
    `| ${t[0].join(' | ')} |`,
    `|${t[0].map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`,
    ...t.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** DESIGN §6 goals for skein, each { goal, value, pass }. */
export function goals(rows, memory) {
  const s = rows.find((r) => r.name === 'skein');
  if (!s) return [];
  const out = [];
  if (s.rpsX != null) out.push({ goal: 'req/s ≥ 0.5× nginx', value: f.x(s.rpsX), pass: s.rpsX >= 0.5 });
  const peers = rows.filter((r) => r.node && r.rps != null);
  if (peers.length) {
    const best = peers.reduce((a, b) => (b.rps > a.rps ? b : a));
    const note = peers.some(disturbed) ? ' († peers measured while the machine was busy)' : '';
    out.push({ goal: 'req/s ahead of every Node.js peer', value: `${f.int(s.rps)} vs best ${best.name} ${f.int(best.rps)}${note}`, pass: s.rps > best.rps });
  }
  if (s.rateErrors) {
    out.push({ goal: 'added latency @ rate ≤ 2× nginx', value: `${s.rateErrors} failed requests at the constant rate`, pass: false });
  } else {
    if (s.addedP50X != null) out.push({ goal: 'added p50 @ rate ≤ 2× nginx', value: f.x(s.addedP50X), pass: s.addedP50X <= 2 });
    if (s.addedP99X != null) out.push({ goal: 'added p99 @ rate ≤ 2× nginx', value: f.x(s.addedP99X), pass: s.addedP99X <= 2 });
  }
  if (memory?.idleRssMb != null) out.push({ goal: 'idle RSS ≤ 60 MB', value: `${f.mb(memory.idleRssMb)} MB`, pass: memory.idleRssMb <= 60 });
  if (memory?.clustersRssMb != null)
    out.push({ goal: `RSS with ${memory.clusters} clusters ≤ 120 MB`, value: `${f.mb(memory.clustersRssMb)} MB`, pass: memory.clustersRssMb <= 120 });
  return out;
}

export function goalsText(list) {
  return list.map((g) => `  ${g.pass ? 'PASS' : 'FAIL'}  ${g.goal}: ${g.value}`).join('\n');
}

export function goalsMarkdown(list) {
  return ['| DESIGN §6 goal | skein | |', '|:--|--:|:--|', ...list.map((g) => `| ${g.goal} | ${g.value} | ${g.pass ? 'pass' : '**FAIL**'} |`)].join('\n');
}

// ---- HTTP/2 and TLS rows: one per (test, proxy), ratios to nginx in the same test ----

// h2load results carry `errors` (failed + non-2xx); wrk results non2xx and socketErrors.
const errorsOf = (r) => r.errors ?? r.non2xx + r.socketErrors;

/** Medians over rounds of each proxy's protocol results, with ratios to nginx per test. */
export function protocolRows(tests, targets) {
  const rows = [];
  for (const t of tests) {
    const group = targets.map((target) => {
      const rs = target.protocolRounds.map((round) => round[t.key]);
      const m = (pick) => median(rs.map(pick));
      return {
        test: t.name,
        name: target.name,
        rps: m((r) => r.rps),
        p50: m((r) => r.p50),
        p99: m((r) => r.p99),
        cpu: m((r) => r.cpuPct),
        other: m((r) => r.otherCpuPct),
        errors: rs.reduce((a, r) => a + errorsOf(r), 0),
        tls: rs.find((r) => r.tls)?.tls ?? null,
      };
    });
    const ref = group.find((r) => r.name === 'nginx');
    for (const r of group) rows.push({ ...r, rpsX: ratio(r.rps, ref?.rps), p50X: ratio(r.p50, ref?.p50), p99X: ratio(r.p99, ref?.p99) });
  }
  return rows;
}

const PROTOCOL_COLUMNS = [
  ['test', (r) => r.test],
  ['proxy', (r) => ((r.other ?? 0) > 15 ? `${r.name} †` : r.name)],
  ['req/s', (r) => f.int(r.rps)],
  ['×nginx', (r) => f.x(r.rpsX)],
  ['CPU%', (r) => (r.cpu == null ? '-' : String(r.cpu))],
  ['p50', (r) => f.ms(r.p50)],
  ['×nginx', (r) => f.x(r.p50X)],
  ['p99', (r) => f.ms(r.p99)],
  ['×nginx', (r) => f.x(r.p99X)],
  ['errors', (r) => String(r.errors)],
  ['others CPU%', (r) => String(r.other ?? '-')],
];

const protocolCells = (rows) => [PROTOCOL_COLUMNS.map(([h]) => h), ...rows.map((r) => PROTOCOL_COLUMNS.map(([, get]) => get(r)))];

export function protocolText(rows) {
  const t = protocolCells(rows);
  const w = t[0].map((_, i) => Math.max(...t.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(t[0]), w.map((n) => '-'.repeat(n)).join('  '), ...t.slice(1).map(line)].join('\n');
}

export function protocolMarkdown(rows) {
  const t = protocolCells(rows);
  return [
    `| ${t[0].join(' | ')} |`,
    `|${t[0].map((_, i) => (i < 2 ? ':--' : '--:')).join('|')}|`,
    ...t.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
