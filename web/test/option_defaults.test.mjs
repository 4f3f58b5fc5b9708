// web/index.d.ts states each option's default ("Default 0.04"; written by scripts/gen-options.mjs); the core's
// vlc::Options holds them (the options table reads them from it). This test reads every table
// key's default through the WASM module (optionDefaults()) and requires the key's doc comment in
// CoreOptions to state the same one, so a changed default cannot leave a stale comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVlcModule } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Each field of `interface CoreOptions` in index.d.ts → the text of its doc comment (one line). */
function coreOptionComments() {
  const dts = readFileSync(join(root, 'web/index.d.ts'), 'utf8');
  const start = dts.indexOf('export interface CoreOptions {');
  assert.ok(start >= 0, 'index.d.ts declares CoreOptions');
  const body = dts.slice(start, dts.indexOf('\n}\n', start));
  /** @type {Map<string, string>} */
  const out = new Map();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n {2}(\w+)\?:/g)) {
    out.set(m[2], m[1].replace(/^\s*\* ?/gm, ' ').replace(/\s+/g, ' ').trim());
  }
  return out;
}

/**
 * The default a comment states: the word "default" (any case, an optional colon and "the core's")
 * followed by a quoted name, a number, true/false, or the formula "min(" of kmax's rule.
 * @returns {string | number | boolean | null}
 */
function statedDefault(/** @type {string} */ comment) {
  const m = comment.match(/\bdefault:?\s+(?:the core's\s+)?('[^']*'|-?\d+(?:\.\d+)?(?:e-?\d+)?|true|false|min\()/i);
  if (!m) return null;
  const t = m[1];
  if (t.startsWith("'")) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'min(') return 'min(';
  return Number(t);
}

test('every table option\'s default in web/index.d.ts is the core\'s', async () => {
  const mod = await loadVlcModule();
  const names = Array.from(mod.optionNames());
  const defaults = mod.optionDefaults();
  assert.deepEqual(Object.keys(defaults), names, 'optionDefaults() has one entry per optionNames() key, in order');
  const comments = coreOptionComments();
  const wrong = [];
  for (const key of names) {
    const comment = comments.get(key);
    const core = defaults[key];
    if (comment === undefined) {
      wrong.push(`${key}: no doc comment in CoreOptions`);
      continue;
    }
    const stated = statedDefault(comment);
    // kmax's 0 means the core's rule min(50, M − 1, …), which the comment states as the formula.
    const same = stated === 'min(' ? key === 'kmax' && core === 0 : stated === core;
    if (!same) wrong.push(`${key}: index.d.ts says ${stated === null ? 'no default' : JSON.stringify(stated)}, the core ${JSON.stringify(core)}`);
  }
  assert.deepEqual(wrong, []);
});

test('the check itself: it reads the stated default of each comment form index.d.ts uses', () => {
  assert.equal(statedDefault("Number of clusters, or 'auto' / 0 to estimate it. Default 'auto'."), 'auto');
  assert.equal(statedDefault('NTK temperature τ (default 0.04).'), 0.04);
  assert.equal(statedDefault("Neighbours (default: the core's 30, lowered for small M)."), 30);
  assert.equal(statedDefault('Random seed (Number.MAX_SAFE_INTEGER; default 0).'), 0);
  assert.equal(statedDefault('also the other curve (default true; costs kmax runs).'), true);
  assert.equal(statedDefault('largest candidate (default min(50, M − 1)).'), 'min(');
  assert.equal(statedDefault('RBF scale; ≤ 0 self-tuning.'), null);
});
