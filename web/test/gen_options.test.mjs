// The JS key list, CoreOptions in index.d.ts and result.schema.json's names are written by
// scripts/gen-options.mjs from the core's options table; this test fails while any of them is stale
// (an option added to option_table.cpp without running the generator), and shows that the check
// sees each kind of drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES, loadTable, renderAll } from '../../scripts/gen-options.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const texts = () => Object.fromEntries(Object.values(FILES).map((f) => [f, readFileSync(join(root, f), 'utf8')]));

test('the generated files match the options table (node scripts/gen-options.mjs --check)', () => {
  const out = execFileSync(process.execPath, [join(root, 'scripts/gen-options.mjs'), '--check'], { encoding: 'utf8' });
  assert.match(out, /every file matches/);
});

test('the check sees a dropped key, an edited comment and a missing choice name', async () => {
  const table = await loadTable();
  const t = texts();
  const drifted = {
    [FILES.keys]: t[FILES.keys].replace("'tau', ", ''),
    [FILES.dts]: t[FILES.dts].replace('Default 0.04;', 'Default 0.05;'),
    [FILES.schema]: t[FILES.schema].replace('"ntk_candidates": {"enum": ["exact", "ann", "auto"]}', '"ntk_candidates": {"enum": ["exact", "ann"]}'),
  };
  for (const f of Object.values(FILES)) assert.notEqual(drifted[f], t[f], `the drift was applied to ${f}`);
  const fixed = renderAll(drifted, table);
  for (const f of Object.values(FILES)) assert.equal(fixed[f], t[f], `${f} is restored from the table`);
});

test('a new choice option reaches all three files', async () => {
  const table = await loadTable();
  const row = { key: 'newRule', name: 'new_rule', type: 'choice', help: 'a new choice, see new_rule.hpp and k_rule', default: 'a',
    defaultText: 'a', valuesText: 'one of a, b', applies: 'autoK', autoText: null, choices: ['a', 'b'] };
  const out = renderAll(texts(), [...table, row]);
  assert.match(out[FILES.keys], /'seed', 'newRule'\]\);/);
  assert.match(out[FILES.dts], /A new choice, see new_rule\.hpp and kRule Default 'a'; one of a, b\. Only with k: 'auto'\. \*\/\n {2}newRule\?: 'a' \| 'b';/);
  assert.match(out[FILES.schema], /"new_rule": \{"enum": \["a", "b"\]\},/);
  assert.doesNotThrow(() => JSON.parse(out[FILES.schema]), 'the schema stays valid JSON');
});
