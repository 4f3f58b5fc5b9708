// A mutation fuzzer for the web package's BPE tokenizer (web/src/tokenizer.js), time-bounded:
//   node fuzz/tokenizer_fuzz.mjs [seconds=60] [seed]
// Each case mutates a seed pair from fuzz/corpus/tokenizer/ (<name>.vocab.json + <name>.merges.txt)
// or generates one from scratch, builds ClipTokenizer.fromText(vocab, merges) and tokenizes a few
// random texts (ASCII, Unicode, long runs, CLIP's special tokens). The outcome must be either an
// Error with a non-empty message (thrown by fromText/tokenize) or a valid batch: every id an
// integer in 0..2^31−1 that is a vocabulary id (or the pad id), the attention mask 1…1 0…0
// matching `lengths`, start/end ids in place; encode() ids from the vocabulary; decode() a string.
// The cases run in a worker thread; a case that takes more than HANG_MS is a hang. Cases are
// derived from (seed, index) so a finding is written as files under build/fuzz-findings/tokenizer/
// and reproduced with `node fuzz/tokenizer_fuzz.mjs --replay <seed> <index>`.
// Ends with one line: "tokenizer fuzz: N cases in S s, F findings".
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const HANG_MS = 5000;

// xorshift128+ on BigInt-free 32-bit halves: deterministic per (seed, index).
function rng(seed, index) {
  let a = (seed ^ 0x9e3779b9) >>> 0, b = (index * 2654435761 + 0x85ebca6b) >>> 0, c = 0xc2b2ae35, d = (seed + index) >>> 0 || 1;
  const next = () => {  // sfc32
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
  return r;
}

function loadSeeds() {
  const dir = path.join(here, 'corpus', 'tokenizer');
  const seeds = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.vocab.json')) continue;
    const name = f.slice(0, -'.vocab.json'.length);
    let merges = '';
    try { merges = readFileSync(path.join(dir, `${name}.merges.txt`), 'utf8'); } catch { /* vocab only */ }
    seeds.push({ vocab: readFileSync(path.join(dir, f), 'utf8'), merges });
  }
  return seeds;
}

const SPECIAL = ['<|startoftext|>', '<|endoftext|>'];
const ODD_VALUES = ['-1', '1.5', '"7"', 'null', 'true', '[]', '{}', '1e308', '-0', '4294967296', '2147483648',
  '2147483647', '9007199254740993', 'NaN', '""', '0'];
const PIECES = ['a', 'b', 'he', 'llo', '</w>', 'o</w>', ' ', '  ', '\t', '\n', '\r\n', '#version: 0.2', 'Ã', '©',
  '\u0120', '\u{1F600}', '\uD800', '\0', '"', '\\', '{', '}', ':', ',', '__proto__', 'constructor', 'toString',
  ...SPECIAL];
const TEXTS = ['hello world', 'a photo of a dog.', '', '   ', "it's", 'Ünïcödé façade', '日本語のテキスト', '\u{1F600}\u{1F601}',
  '<|startoftext|>', '<|endoftext|> x <|endoftext|>', '1234567890', '!!!???', 'a'.repeat(300), 'ab '.repeat(200),
  '\uD800\uDC00\uD800', 'é'.repeat(50), '\0\x01\x02', 'hello'.repeat(40)];

function mutateText(r, s, alphabet) {
  let out = s;
  const n = 1 + r.int(6);
  for (let k = 0; k < n; k++) {
    const pos = out.length ? r.int(out.length + 1) : 0;
    switch (r.int(8)) {
      case 0: out = out.slice(0, pos) + r.pick(alphabet) + out.slice(pos); break;                 // insert
      case 1: out = out.slice(0, pos) + out.slice(pos + 1 + r.int(20)); break;                     // delete
      case 2: out = out.slice(0, pos); break;                                                      // truncate
      case 3: { const a = r.int(out.length + 1); out = out.slice(0, pos) + out.slice(a, a + r.int(200)) + out.slice(pos); break; }  // copy a span
      case 4: out = out.slice(0, pos) + String.fromCharCode(r.int(0x3000)) + out.slice(pos + 1); break;  // replace a char
      case 5: { const lines = out.split('\n'); const i = r.int(lines.length); lines.splice(r.int(lines.length), 0, lines[i]); out = lines.join('\n'); break; }  // duplicate a line
      case 6: { const lines = out.split('\n'); lines.sort(() => r.next() - 0.5); out = lines.join('\n'); break; }  // shuffle lines
      default: out = out + r.pick(alphabet); break;
    }
  }
  return out;
}

function mutateVocab(r, text) {
  let vocab;
  try { vocab = JSON.parse(text); } catch { return mutateText(r, text, PIECES); }
  if (r.chance(0.25)) return mutateText(r, text, PIECES.concat(ODD_VALUES));
  const keys = Object.keys(vocab);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    switch (r.int(6)) {
      case 0: if (keys.length) vocab[r.pick(keys)] = JSON.parse(r.pick(ODD_VALUES.filter((v) => v !== 'NaN'))); break;
      case 1: if (keys.length) delete vocab[r.pick(keys)]; break;
      case 2: delete vocab[r.pick(SPECIAL)]; break;
      case 3: vocab[r.pick(PIECES) + r.pick(PIECES)] = r.int(100000); break;
      case 4: if (keys.length) vocab[r.pick(keys)] = vocab[r.pick(keys)]; break;  // duplicate ids
      default: vocab[r.pick(keys) || 'a'] = r.int(1 << 20); break;
    }
  }
  if (r.chance(0.05)) return JSON.stringify(r.pick([[1, 2], null, 7, 'x', { a: { b: 1 } }]));
  return JSON.stringify(vocab);
}

function mutateMerges(r, text, vocabText) {
  let keys = [];
  try { keys = Object.keys(JSON.parse(vocabText)); } catch { /* not JSON */ }
  const lines = text.split('\n');
  const n = 1 + r.int(5);
  for (let k = 0; k < n; k++) {
    switch (r.int(5)) {
      case 0: lines.splice(r.int(lines.length + 1), 0, `${r.pick(keys.length ? keys : PIECES)} ${r.pick(keys.length ? keys : PIECES)}`); break;
      case 1: lines.splice(r.int(lines.length + 1), 0, r.pick(['', ' ', 'a', 'a b c', ' a', 'a ', '#version: 0.2', 'a  b'])); break;
      case 2: lines.splice(r.int(lines.length), 1); break;
      default: return mutateText(r, lines.join('\n'), PIECES);
    }
  }
  return lines.join(r.chance(0.1) ? '\r\n' : '\n');
}

/** The case (vocab, merges, texts, options) of (seed, index). */
export function makeCase(seeds, seed, index) {
  const r = rng(seed, index);
  let vocab, merges;
  if (r.chance(0.1) || !seeds.length) {
    // from scratch: random tokens from the pieces, random merges over them
    const v = {};
    const n = r.int(40);
    for (let i = 0; i < n; i++) v[r.pick(PIECES) + (r.chance(0.5) ? r.pick(PIECES) : '')] = r.int(64);
    if (r.chance(0.8)) for (const s of SPECIAL) v[s] = r.int(64);
    vocab = JSON.stringify(v);
    const keys = Object.keys(v);
    const lines = [];
    for (let i = 0; i < r.int(40); i++) lines.push(`${r.pick(keys.length ? keys : PIECES)} ${r.pick(keys.length ? keys : PIECES)}`);
    merges = lines.join('\n');
  } else {
    const s = r.pick(seeds);
    vocab = r.chance(0.7) ? mutateVocab(r, s.vocab) : s.vocab;
    merges = r.chance(0.7) ? mutateMerges(r, s.merges, vocab) : s.merges;
  }
  const texts = [];
  for (let i = 0, n = 1 + r.int(4); i < n; i++) texts.push(r.chance(0.5) ? r.pick(TEXTS) : mutateText(r, r.pick(TEXTS), PIECES));
  const options = { contextLength: r.chance(0.7) ? 77 : 2 + r.int(20), truncate: r.chance(0.8), dtype: r.chance(0.5) ? 'int64' : 'int32' };
  return { vocab, merges, texts, options };
}

/** Runs a case; returns null when the outcome is acceptable, else the reason. */
export async function checkCase(c) {
  const { ClipTokenizer } = await import(path.join(root, 'web', 'src', 'tokenizer.js'));
  const bad = (e) => !(e instanceof Error) || typeof e.message !== 'string' || e.message.length === 0;
  let tok;
  try {
    tok = ClipTokenizer.fromText(c.vocab, c.merges);
  } catch (e) {
    return bad(e) ? `fromText threw a non-Error or an empty message: ${String(e)}` : null;
  }
  const ids = new Set(tok.encoder.values());
  const validId = (v) => Number.isInteger(v) && v >= 0 && v <= 0x7fffffff && ids.has(v);
  for (const text of c.texts) {
    let enc;
    try {
      enc = tok.encode(text);
    } catch (e) {
      return `encode threw on ${JSON.stringify(text)}: ${String(e)}`;
    }
    for (const v of enc) if (!validId(v)) return `encode returned an invalid id ${JSON.stringify(v)} (${typeof v}) for ${JSON.stringify(text)}`;
    let back;
    try { back = tok.decode(enc); } catch (e) { return `decode threw: ${String(e)}`; }
    if (typeof back !== 'string') return 'decode did not return a string';
  }
  let batch;
  try {
    batch = tok.tokenize(c.texts, c.options);
  } catch (e) {
    if (bad(e)) return `tokenize threw a non-Error or an empty message: ${String(e)}`;
    if (c.options.truncate) return `tokenize threw with truncate on: ${e.message}`;
    return null;
  }
  const L = c.options.contextLength;
  if (batch.batchSize !== c.texts.length || batch.contextLength !== L) return 'tokenize: wrong batch shape';
  if (batch.inputIds.length !== c.texts.length * L || batch.attentionMask.length !== c.texts.length * L) return 'tokenize: wrong array sizes';
  for (let r = 0; r < c.texts.length; r++) {
    const len = batch.lengths[r];
    if (!(len >= 2 && len <= L)) return `tokenize: row ${r} length ${len} outside 2..${L}`;
    for (let j = 0; j < L; j++) {
      const id = Number(batch.inputIds[r * L + j]);
      const m = Number(batch.attentionMask[r * L + j]);
      if (m !== (j < len ? 1 : 0)) return `tokenize: row ${r} mask wrong at ${j}`;
      if (j < len && !validId(id)) return `tokenize: row ${r} id ${id} at ${j} is not a vocabulary id`;
      if (j >= len && id !== tok.padId) return `tokenize: row ${r} padding ${id} at ${j}`;
    }
    if (Number(batch.inputIds[r * L]) !== tok.startId) return `tokenize: row ${r} does not start with <|startoftext|>`;
    if (Number(batch.inputIds[r * L + len - 1]) !== tok.endId) return `tokenize: row ${r} does not end with <|endoftext|>`;
  }
  return null;
}

function writeFinding(seeds, seed, index, reason) {
  const c = makeCase(seeds, seed, index);
  const dir = path.join(root, 'build', 'fuzz-findings', 'tokenizer', `${seed}-${index}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'vocab.json'), c.vocab);
  writeFileSync(path.join(dir, 'merges.txt'), c.merges);
  writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ seed, index, reason, texts: c.texts, options: c.options }, null, 1));
  console.log(`finding ${seed} ${index}: ${reason}\n  written to ${path.relative(root, dir)}/`);
}

if (!isMainThread) {
  // worker: run cases index = start, start+1, ... and report each before and after
  const { seed, start } = workerData;
  const seeds = loadSeeds();
  for (let index = start; ; index++) {
    parentPort.postMessage({ type: 'begin', index });
    const reason = await checkCase(makeCase(seeds, seed, index));
    parentPort.postMessage({ type: 'end', index, reason });
    if (reason) break;
  }
} else {
  const args = process.argv.slice(2);
  if (args[0] === '--replay') {
    const seeds = loadSeeds();
    const reason = await checkCase(makeCase(seeds, Number(args[1]), Number(args[2])));
    console.log(reason ?? 'ok');
    process.exit(reason ? 1 : 0);
  }
  const seconds = Number(args[0] ?? 60);
  const seed = Number(args[1] ?? (Date.now() % 1000000));
  const seeds = loadSeeds();
  const t0 = Date.now();
  let cases = 0, findings = 0, next = 0;
  const run = () => new Promise((resolve) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seed, start: next } });
    let current = -1, began = 0;
    const timer = setInterval(() => {
      if (current >= 0 && Date.now() - began > HANG_MS) {
        findings++;
        writeFinding(seeds, seed, current, `hang: no result after ${HANG_MS} ms`);
        next = current + 1;
        clearInterval(timer); w.terminate().then(() => resolve(true));
      } else if (Date.now() - t0 > seconds * 1000) {
        clearInterval(timer); w.terminate().then(() => resolve(false));
      }
    }, 100);
    w.on('message', (m) => {
      if (m.type === 'begin') { current = m.index; began = Date.now(); return; }
      cases++; current = -1; next = m.index + 1;
      if (m.reason) {
        findings++;
        writeFinding(seeds, seed, m.index, m.reason);
      }
    });
    w.on('error', (e) => { findings++; writeFinding(seeds, seed, current, `worker error: ${e && e.message}`); next = current + 1; clearInterval(timer); resolve(true); });
    w.on('exit', () => { clearInterval(timer); resolve(Date.now() - t0 <= seconds * 1000); });
  });
  // a finding stops the worker; start a fresh one after it until the time is up (at most 20 findings)
  while (await run() && findings < 20 && Date.now() - t0 <= seconds * 1000) { /* next worker */ }
  console.log(`tokenizer fuzz: ${cases} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${findings} findings (seed ${seed})`);
  process.exit(findings ? 1 : 0);
}
