#!/usr/bin/env node
'use strict';
/*
 * `npm run bench`: finds every `*.bench.ts` under protocols/, libs/, apps/ and bench/ and runs
 * each in its own Node process (sequentially, so they do not compete for the CPU) through
 * bench/run-ts.js. Benchmarks print; they do not gate: a missed target is reported, not failed.
 * The exit code is non-zero only when a bench process crashes (throws, exits non-zero, or is
 * killed by a signal).
 *
 *   node bench/run.js              run them all
 *   node bench/run.js codec        only those whose path contains "codec"
 *
 * A bench may write one JSON line per result to the file named by FIREIOT_BENCH_REPORT,
 * { "name", "value", "unit", "target", "pass" }; the summary then shows its PASS/MISS count.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SEARCH_ROOTS = ['protocols', 'libs', 'apps', 'bench'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', 'tmp']);

function findBenches(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) findBenches(full, out);
    } else if (e.isFile() && e.name.endsWith('.bench.ts')) {
      out.push(full);
    }
  }
  return out;
}

const filters = process.argv.slice(2);
const benches = SEARCH_ROOTS.flatMap((d) => findBenches(path.join(root, d), []))
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (benches.length === 0) {
  console.log(`bench: no *.bench.ts found${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(0);
}

const runTs = path.join(__dirname, 'run-ts.js');
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fireiot-bench-'));
const summary = [];
let crashed = 0;

for (const [i, rel] of benches.entries()) {
  console.log(`\n=== bench ${i + 1}/${benches.length}: ${rel} ===\n`);
  const reportFile = path.join(reportDir, `${i}.jsonl`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [runTs, rel], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FIREIOT_BENCH_REPORT: reportFile },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let status;
  if (r.error) status = `CRASH (${r.error.message})`;
  else if (r.signal) status = `CRASH (killed by ${r.signal})`;
  else if (r.status !== 0) status = `CRASH (exit ${r.status})`;
  else status = 'ok';
  if (status !== 'ok') crashed++;

  let targets = '';
  if (fs.existsSync(reportFile)) {
    const results = fs
      .readFileSync(reportFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .filter((x) => x && typeof x.pass === 'boolean');
    const pass = results.filter((x) => x.pass).length;
    const miss = results.filter((x) => !x.pass);
    if (results.length) {
      targets = `  targets: ${pass} PASS, ${miss.length} MISS${miss.length ? ` (${miss.map((x) => x.name).join('; ')})` : ''}`;
    }
  }
  summary.push(
    `${status === 'ok' ? 'ok   ' : 'FAIL '} ${rel}  ${seconds.toFixed(1)} s  ${status === 'ok' ? '' : status}${targets}`,
  );
}

fs.rmSync(reportDir, { recursive: true, force: true });
console.log('\n=== bench summary ===');
for (const line of summary) console.log(line);
if (crashed > 0) {
  console.log(`${crashed} bench process(es) crashed`);
  process.exitCode = 1;
}
