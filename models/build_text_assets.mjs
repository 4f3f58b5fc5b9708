#!/usr/bin/env node
// Builds the vocabulary asset that clusterImages() filters nouns on (docs/method.md §1 step 1):
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
import { resolveModel } from '../web/src/models.js';
import { buildVocabularyAsset, parseWordList, selectWords } from '../web/src/vocabulary.js';

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
  return parseWordList(readFileSync(path, 'utf8'));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || !args.model) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
    process.exit(args.help ? 0 : 2);
  }
  const rows = selectWords(readWords(args.words), {
    limit: args.limit, minDepth: args.minDepth, lettersOnly: args.lettersOnly, include: args.include,
  });
  const m = args.model;
  // The same model lookup as the package's (either folder layout; a hub id with $VLC_HUB_URL).
  const model = await resolveModel(m, { vision: false });
  const ort = await import('onnxruntime-node');
  const encoder = await Encoder.load({
    text: model.text, vocab: model.vocab, merges: model.merges, tokenizerJson: model.tokenizerJson,
    ort, executionProviders: ['cpu'],
  });
  const asset = await buildVocabularyAsset(encoder, rows, {
    batchSize: args.batch,
    model: m.replace(/\/$/, '').split('/').pop(),
    source: args.words.split('/').pop(),
    onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total} texts`),
  });
  process.stderr.write('\n');
  await encoder.dispose();
  writeFileSync(join(m, 'nouns.f16.bin'), asset.bin);
  writeFileSync(join(m, 'nouns.json'), asset.json);
  console.log(`wrote ${join(m, 'nouns.f16.bin')} (${rows.length} words × ${encoder.dim}, float16, ${asset.bin.length} bytes) and nouns.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`build_text_assets: ${e.message}`);
    process.exit(1);
  });
}
