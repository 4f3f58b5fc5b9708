// Regression tests from fuzz/tokenizer_fuzz.mjs (issue 9): a vocab.json whose ids are not
// integers 0..2^31−1 is rejected with an Error naming the token, instead of producing
// non-integer or negative ids (which Int32Array/BigInt64Array model inputs would turn into 0 or garbage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipTokenizer } from '../src/tokenizer.js';

const MERGES = '#version: 0.2\nh e</w>\n';
const vocabWith = (id) => JSON.stringify({ h: 1, e: 2, he: 3, 'he</w>': 4, '<|startoftext|>': 5, '<|endoftext|>': id });

for (const [id, shown] of [[-1, '-1'], [1.5, '1.5'], ['7', '"7"'], [null, 'null'], [true, 'true'], [{}, '{}'], [[], '[]'], [2 ** 31, '2147483648']]) {
  test(`vocab.json id ${shown} is rejected with the token named`, () => {
    assert.throws(() => ClipTokenizer.fromText(vocabWith(id), MERGES),
      (e) => e instanceof Error && e.message.includes('"<|endoftext|>"') && e.message.includes('ids must be integers'));
  });
}

test('valid ids still tokenize', () => {
  const tok = ClipTokenizer.fromText(vocabWith(6), MERGES);
  assert.deepEqual(Array.from(tok.tokenize('he', { contextLength: 4, dtype: 'int32' }).inputIds), [5, 4, 6, 0]);
});
