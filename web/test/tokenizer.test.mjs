// CLIP BPE tokenizer: hand-derived ids on a hand-written vocabulary, then the tiny model's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClipTokenizer, bytesToUnicode, cleanText, CONTEXT_LENGTH } from '../src/tokenizer.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Hand-written merges, rank = position (lower rank merges first):
const MERGES_TXT = `#version: 0.2
h e
l l
ll o</w>
he llo</w>
o r
l d</w>
w or
w o
' s</w>
`;
//  rank 0 "h e", 1 "l l", 2 "ll o</w>", 3 "he llo</w>", 4 "o r", 5 "l d</w>", 6 "w or", 7 "w o", 8 "' s</w>"
const VOCAB = {
  h: 10, e: 11, l: 12, 'o</w>': 13, he: 14, ll: 15, 'llo</w>': 16, 'hello</w>': 17,
  w: 18, o: 19, r: 20, 'd</w>': 21, or: 22, 'ld</w>': 23, wor: 24, '!</w>': 25,
  i: 26, 't</w>': 27, "'": 28, 's</w>': 29, "'s</w>": 30, 'l</w>': 31,
  '2</w>': 32, '0</w>': 33, '4</w>': 34, 'Ã': 35, '©</w>': 36, '!': 37, '?</w>': 38,
  '<|startoftext|>': 40, '<|endoftext|>': 41,
};
const SOT = 40;
const EOT = 41;
const hand = () => ClipTokenizer.fromText(JSON.stringify(VOCAB), MERGES_TXT);

test('bytesToUnicode matches the GPT-2/CLIP table at known points', () => {
  const t = bytesToUnicode();
  assert.equal(t.length, 256);
  assert.equal(new Set(t).size, 256);
  assert.equal(t[0x21], '!');        // printable ASCII maps to itself
  assert.equal(t[0x7e], '~');
  assert.equal(t[0xa1], '¡');
  assert.equal(t[0x00], 'Ā');        // U+0100: first unprintable byte -> 256 + 0
  assert.equal(t[0x20], 'Ġ');        // space is the 33rd unprintable byte -> 256 + 32 = U+0120
  assert.equal(t[0x7f], 'ġ');        // 256 + 33
  assert.equal(t[0xad], 'Ń');        // 0..32 (33) + 127..160 (34) precede it -> 256 + 67 = U+0143
});

test('cleanText collapses whitespace, trims, lower-cases', () => {
  assert.equal(cleanText('  Hello \t\n  WORLD  '), 'hello world');
});

test('hello world: merges applied by rank, not by position', () => {
  const tok = hand();
  // "Hello  World!" -> cleaned "hello world!" -> pieces "hello", "world", "!"
  // "hello": h e l l o</w> --0--> he l l o</w> --1--> he ll o</w> --2--> he llo</w> --3--> hello</w> = 17
  // "world": w o r l d</w>; pairs (w,o)=7 (o,r)=4 (l,d</w>)=5 -> rank 4 first: w or l d</w>
  //          then (l,d</w>)=5: w or ld</w>; then (w,or)=6: wor ld</w>; no rule for (wor,ld</w>)
  //          -> wor=24, ld</w>=23
  // "!": a single symbol -> "!</w>" = 25
  assert.deepEqual(tok.encode('Hello  World!'), [17, 24, 23, 25]);
});

test('contractions, digits, punctuation runs, non-ASCII bytes, repeated pairs', () => {
  const tok = hand();
  // "it's" -> pieces "it", "'s" ("'s" is its own alternative in the pattern)
  //   "it" -> i t</w> (no rule) = 26, 27;  "'s" -> ' s</w> --8--> 's</w> = 30
  assert.deepEqual(tok.encode("it's"), [26, 27, 30]);
  // digits are one piece each ([\p{N}]): "2024" -> 2</w> 0</w> 2</w> 4</w>
  assert.deepEqual(tok.encode('2024'), [32, 33, 32, 34]);
  // a punctuation run is one piece: "!!?" -> ! ! ?</w> (no rules) = 37 37 38
  assert.deepEqual(tok.encode('!!?'), [37, 37, 38]);
  // "é" is UTF-8 C3 A9 -> byte chars "Ã" (0xC3 maps to itself) and "©" (0xA9 maps to itself)
  assert.deepEqual(tok.encode('É'), [35, 36]);  // lower-cased first
  // "lll": l l l</w>; pair (l,l) rank 1 merges left to right without overlap -> ll l</w>
  assert.deepEqual(tok.encode('lll'), [15, 31]);
  // a symbol missing from the vocabulary becomes <|endoftext|> (HuggingFace's unk token): "x</w>"
  assert.deepEqual(tok.encode('x'), [EOT]);
  // the special tokens are recognised in the text
  assert.deepEqual(tok.encode('hello<|endoftext|>'), [17, EOT]);
});

test('tokenize: start/end, padding to 77, attention mask, int64 and int32', () => {
  const tok = hand();
  const out = tok.tokenize(['Hello  World!', "it's"]);
  assert.equal(out.batchSize, 2);
  assert.equal(out.contextLength, CONTEXT_LENGTH);
  assert.ok(out.inputIds instanceof BigInt64Array);
  assert.ok(out.attentionMask instanceof BigInt64Array);
  assert.equal(out.inputIds.length, 2 * 77);
  const row0 = Array.from(out.inputIds.slice(0, 77), Number);
  assert.deepEqual(row0.slice(0, 7), [SOT, 17, 24, 23, 25, EOT, 0]);
  assert.ok(row0.slice(6).every((v) => v === 0));
  const mask0 = Array.from(out.attentionMask.slice(0, 77), Number);
  assert.deepEqual(mask0.slice(0, 7), [1, 1, 1, 1, 1, 1, 0]);
  assert.equal(mask0.reduce((a, b) => a + b), 6);
  assert.deepEqual(Array.from(out.inputIds.slice(77, 77 + 6), Number), [SOT, 26, 27, 30, EOT, 0]);
  assert.deepEqual(out.lengths, [6, 5]);

  const i32 = tok.tokenize('hello', { dtype: 'int32' });
  assert.ok(i32.inputIds instanceof Int32Array);
  assert.deepEqual(Array.from(i32.inputIds.slice(0, 4)), [SOT, 17, EOT, 0]);
  assert.deepEqual(Array.from(i32.attentionMask.slice(0, 4)), [1, 1, 1, 0]);

  const padded = ClipTokenizer.fromText(JSON.stringify(VOCAB), MERGES_TXT, { padTokenId: EOT }).tokenize('hello', { dtype: 'int32' });
  assert.deepEqual(Array.from(padded.inputIds.slice(0, 4)), [SOT, 17, EOT, EOT]);
});

test('truncation keeps <|endoftext|> last; truncate:false throws', () => {
  const tok = hand();
  // full row: SOT hello wor ld</w> !</w> i t</w> 's</w> EOT = [40,17,24,23,25,26,27,30,41]
  const out = tok.tokenize("hello world! it's", { contextLength: 5, dtype: 'int32' });
  assert.deepEqual(Array.from(out.inputIds), [SOT, 17, 24, 23, EOT]);
  assert.deepEqual(Array.from(out.attentionMask), [1, 1, 1, 1, 1]);
  assert.throws(() => tok.tokenize("hello world! it's", { contextLength: 5, truncate: false }), /too long/);
  // exactly fitting is not truncated
  const fit = tok.tokenize('hello world', { contextLength: 5, dtype: 'int32' });
  assert.deepEqual(Array.from(fit.inputIds), [SOT, 17, 24, 23, EOT]);
  // the default context of 77 truncates long texts too
  const long = tok.tokenize('hello '.repeat(100), { dtype: 'int32' });
  assert.equal(long.inputIds[0], SOT);
  assert.equal(long.inputIds[76], EOT);
  assert.equal(long.inputIds[75], 17);
});

test('malformed files give clear errors', () => {
  assert.throws(() => ClipTokenizer.fromText('{not json', MERGES_TXT), /vocab\.json is not valid JSON/);
  assert.throws(() => ClipTokenizer.fromText('{"a": 1}', MERGES_TXT), /no "<\|startoftext\|>" token/);
  assert.throws(() => ClipTokenizer.fromText(JSON.stringify(VOCAB), '#version: 0.2\na b c\n'), /merges\.txt line 2/);
});

test('decode inverts encode on the hand vocabulary', () => {
  const tok = hand();
  assert.equal(tok.decode(tok.tokenize("Hello world! it's", { dtype: 'int32' }).inputIds.slice(0, 8)), "hello world ! it 's");
});

test("the tiny model's vocab.json + merges.txt", () => {
  const tok = ClipTokenizer.fromText(
    readFileSync(`${root}models/tiny-clip/vocab.json`, 'utf8'),
    readFileSync(`${root}models/tiny-clip/merges.txt`, 'utf8'));
  const vocab = JSON.parse(readFileSync(`${root}models/tiny-clip/vocab.json`, 'utf8'));
  // layout of a CLIP vocabulary: 256 byte symbols, the same with </w>, merges, then the specials last
  assert.equal(vocab['!'], 0);
  assert.equal(vocab['!</w>'], 256);
  assert.equal(vocab['<|endoftext|>'], Object.keys(vocab).length - 1);
  assert.equal(vocab['<|startoftext|>'], Object.keys(vocab).length - 2);
  // the generator learned merges for these words, so each is one whole-word token
  const words = ['a', 'photo', 'of', 'cat', 'dog', 'beach', 'sunset'];
  for (const w of words) assert.ok(vocab[`${w}</w>`] !== undefined, `tiny vocab has "${w}</w>"`);
  assert.deepEqual(tok.encode('A photo of a CAT'), ['a', 'photo', 'of', 'a', 'cat'].map((w) => vocab[`${w}</w>`]));
  // an unseen word still tokenises into known pieces (at worst single bytes), and decodes back
  const ids = tok.encode('zebra crossing #42');
  assert.ok(ids.length > 3 && ids.every((i) => i !== vocab['<|endoftext|>']));
  assert.equal(tok.decode(ids), 'zebra crossing # 4 2');
  const batch = tok.tokenize(['a photo of a dog', 'red car']);
  assert.equal(batch.inputIds.length, 2 * 77);
  assert.equal(batch.inputIds[0], BigInt(vocab['<|startoftext|>']));
  assert.equal(batch.inputIds[6], BigInt(vocab['<|endoftext|>']));
});

test('agrees with a port of the reference simple_tokenizer (fixtures/make_tokenizer_fixture.py)', () => {
  const ref = JSON.parse(readFileSync(`${root}web/test/fixtures/tokenizer_reference.json`, 'utf8'));
  const tok = ClipTokenizer.fromText(
    readFileSync(`${root}models/tiny-clip/vocab.json`, 'utf8'),
    readFileSync(`${root}models/tiny-clip/merges.txt`, 'utf8'));
  assert.ok(ref.cases.length >= 10);
  for (const c of ref.cases) {
    assert.deepEqual(tok.encode(c.text), c.encode, `encode ${JSON.stringify(c.text)}`);
    const row = tok.tokenize(c.text, { dtype: 'int32' });
    assert.deepEqual(Array.from(row.inputIds), c.tokenize, `tokenize ${JSON.stringify(c.text)}`);
    const real = Math.min(c.encode.length + 2, 77);  // start + ids + end, truncated to the context
    assert.deepEqual(Array.from(row.attentionMask), c.tokenize.map((_, i) => (i < real ? 1 : 0)));
  }
});
