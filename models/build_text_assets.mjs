#!/usr/bin/env node
// Builds the vocabulary asset that clusterImages() filters nouns on (ALGORITHM.md §1 step 1):
// for every word, the CLIP text embeddings under the 7 templates (web/src/cluster.js TEMPLATES),
// each L2-normalised, averaged, and L2-normalised again (T̄). Written as
//   <model>/nouns.f16.bin   L×d float16, little-endian, row-major
//   <model>/nouns.json      {format, model, dim, count, dtype, templates, words, depths, source}
// Runs the model with onnxruntime-node (CPU).
//
// Usage:
//   node models/build_text_assets.mjs --model models/clip-vit-b32 [--words models/vocab/wordnet_nouns.tsv]
//        [--limit N] [--min-depth D] [--letters-only] [--include word,word,...] [--batch 256]
// --words: one word per line; a TSV with a header "word\tdepth\t..." (models/vocab/wordnet_nouns.tsv)
// gives depths too. --limit N keeps N words spread evenly over the list (after --min-depth), plus the
// --include words. --letters-only drops words with digits or punctuation. The tiny test model's asset:
//   node models/build_text_assets.mjs --model models/tiny-clip --limit 300 --min-depth 5 --letters-only \
//        --include red,green,blue,dog,cat,car,tree,house,stripe,circle,square,checkerboard
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from '../web/src/encoder.js';
import { TEMPLATES, floatToHalf } from '../web/src/cluster.js';

function parseArgs(argv) {
  const out = { words: new URL('./vocab/wordnet_nouns.tsv', import.meta.url).pathname, limit: 0, minDepth: -1, include: [], batch: 256 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a}: missing value`);
      return argv[++i];
    };
    if (a === '--model') out.model = v();
    else if (a === '--words') out.words = v();
    else if (a === '--limit') out.limit = Number(v());
    else if (a === '--min-depth') out.minDepth = Number(v());
    else if (a === '--include') out.include = v().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--batch') out.batch = Number(v());
    else if (a === '--letters-only') out.lettersOnly = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

/** Words (and depths, -1 when unknown) from a plain list or the WordNet TSV. */
export function readWords(path) {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim());
  const tsv = lines.length && /^word\t/.test(lines[0]);
  const rows = (tsv ? lines.slice(1) : lines).map((l) => {
    const [word, depth] = l.split('\t');
    return { word: word.trim(), depth: depth !== undefined && depth !== '' ? Number(depth) : -1 };
  });
  return rows.filter((r) => r.word);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || !args.model) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
    process.exit(args.help ? 0 : 2);
  }
  let rows = readWords(args.words);
  const all = new Map(rows.map((r) => [r.word, r]));
  if (args.minDepth >= 0) rows = rows.filter((r) => r.depth < 0 || r.depth >= args.minDepth);
  if (args.lettersOnly) rows = rows.filter((r) => /^[a-z]+( [a-z]+)*$/.test(r.word));
  if (args.limit > 0 && rows.length > args.limit) {
    const step = rows.length / args.limit;
    rows = Array.from({ length: args.limit }, (_, i) => rows[Math.floor(i * step)]);
  }
  const seen = new Set(rows.map((r) => r.word));
  for (const w of args.include) {
    if (!seen.has(w)) rows.push(all.get(w) ?? { word: w, depth: -1 });
    seen.add(w);
  }
  const words = rows.map((r) => r.word);
  const depths = rows.map((r) => r.depth);

  const ort = await import('onnxruntime-node');
  const m = args.model;
  const encoder = await Encoder.load({
    text: join(m, 'text_model.onnx'), vocab: join(m, 'vocab.json'), merges: join(m, 'merges.txt'),
    ort, executionProviders: ['cpu'],
  });
  const d = encoder.dim;
  const l = words.length;
  const sum = new Float64Array(l * d);
  for (const [ti, t] of TEMPLATES.entries()) {
    const e = await encoder.encodeTexts(words.map((w) => t.replace('{}', w)), { batchSize: args.batch });  // unit rows
    for (let i = 0; i < l * d; i++) sum[i] += e[i];
    process.stderr.write(`template ${ti + 1}/${TEMPLATES.length}: ${t}\n`);
  }
  await encoder.dispose();
  const half = new Uint16Array(l * d);
  for (let i = 0; i < l; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += sum[i * d + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) half[i * d + c] = floatToHalf(sum[i * d + c] * inv);
  }
  const bin = Buffer.from(half.buffer);  // little-endian on every platform node runs on
  writeFileSync(join(m, 'nouns.f16.bin'), bin);
  const meta = {
    format: 'vlcluster-vocabulary-1',
    model: m.replace(/\/$/, '').split('/').pop(),
    dim: d,
    count: l,
    dtype: 'float16',
    templates: TEMPLATES,
    source: args.words.split('/').pop(),
    words,
    depths,
  };
  writeFileSync(join(m, 'nouns.json'), `${JSON.stringify(meta)}\n`);
  console.log(`wrote ${join(m, 'nouns.f16.bin')} (${l} words × ${d}, float16, ${bin.length} bytes) and nouns.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`build_text_assets: ${e.message}`);
    process.exit(1);
  });
}
