// The examples of web/README.md, for the tests that run them (pack, bundler, types): a code block
// marked `<!-- example: NAME -->` on the line before its fence is run or type-checked by CI as it
// is. (Outside web/test/, where node --test would run this file as a test.)
import { readFileSync } from 'node:fs';

const README = new URL('../README.md', import.meta.url);

/** Every fenced code block of the README: {name (the example marker, or null), lang, code}. */
export function readmeBlocks() {
  const text = readFileSync(README, 'utf8');
  const blocks = [];
  for (const m of text.matchAll(/(?:<!-- example: ([\w-]+) -->\s*\n)?```(\w*)\n([\s\S]*?)```/g)) {
    blocks.push({ name: m[1] ?? null, lang: m[2], code: m[3] });
  }
  return blocks;
}

/** The code of the block marked `<!-- example: name -->`; throws when there is none. */
export function readmeExample(/** @type {string} */ name) {
  const block = readmeBlocks().find((b) => b.name === name);
  if (!block) throw new Error(`web/README.md has no block marked <!-- example: ${name} -->`);
  return block.code;
}
