#!/usr/bin/env python3
"""Builds models/vocab/wordnet_nouns.tsv from Debian's wordnet-base files.

Seed 003 (MCA) filters generic nouns by their level in the WordNet hierarchy; the core's
vlc::hierarchy_mask needs each vocabulary noun's depth. This script reads the WordNet 3.0
database files directly (no nltk), so the output is reproducible from the Debian package:

    python3 models/build_vocab.py [--wordnet /usr/share/wordnet] [--out models/vocab/wordnet_nouns.tsv]

Output: one line per noun, tab-separated, header first:
    word  depth  offset
  word    the lemma, lower case, multiword lemmas with '_' replaced by ' ' (deduplicated)
  depth   minimum number of hypernym links (`@` and instance hypernym `@i`) from the lemma's
          FIRST sense (the most frequent one, first in index.noun) up to the root:
          entity = 0, physical entity = 1, object = 2, ..., dog = 8
  offset  that first sense's synset offset in data.noun (8 digits)

Subset (documented choice, ~12k words): every lemma with at least one sense tagged in the
SemCor concordance (index.noun's tagsense_cnt > 0) — common nouns a photo collection is
likely to show, and not rare senses — plus every lemma whose first sense lies in the top
three levels (depth <= 2: entity, physical entity, abstraction, object, thing, ...), because
those generic words are exactly what hierarchy filtering is meant to recognise and drop.
"""
import argparse
import os
import sys

TOP_LEVELS_ALWAYS_KEPT = 2  # depth <= this is always included (see docstring)


def read_data_noun(path):
    """synset offset -> list of hypernym offsets (pointer symbols '@' and '@i')."""
    hypernyms = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):  # licence header lines start with two spaces
                continue
            fields = line.split(" | ", 1)[0].split()
            # synset_offset lex_filenum ss_type w_cnt(2 hex) [word lex_id(1 hex)]... p_cnt(3 dec) [ptr]...
            offset = fields[0]
            w_cnt = int(fields[3], 16)
            pos = 4 + 2 * w_cnt
            p_cnt = int(fields[pos])
            pos += 1
            parents = []
            for _ in range(p_cnt):
                # pointer_symbol synset_offset pos source/target(4 hex)
                symbol, target, target_pos = fields[pos], fields[pos + 1], fields[pos + 2]
                if symbol in ("@", "@i") and target_pos == "n":
                    parents.append(target)
                pos += 4
            hypernyms[offset] = parents
    return hypernyms


def min_depths(hypernyms):
    """Minimum hypernym depth of every synset (roots, i.e. no hypernym, have depth 0)."""
    depth = {}
    sys.setrecursionlimit(10000)

    def visit(offset, path):
        if offset in depth:
            return depth[offset]
        if offset in path:
            raise ValueError("hypernym cycle at synset " + offset)
        path.add(offset)
        parents = hypernyms.get(offset, [])
        d = 0 if not parents else 1 + min(visit(p, path) for p in parents)
        path.discard(offset)
        depth[offset] = d
        return d

    for offset in hypernyms:
        visit(offset, set())
    return depth


def read_index_noun(path):
    """Yields (lemma, tagsense_cnt, first synset offset) for every noun lemma."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            # lemma pos synset_cnt p_cnt [ptr_symbol]... sense_cnt tagsense_cnt synset_offset...
            lemma, p_cnt = fields[0], int(fields[3])
            tagsense_cnt = int(fields[5 + p_cnt])
            first_offset = fields[6 + p_cnt]
            yield lemma, tagsense_cnt, first_offset


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet", default="/usr/share/wordnet")
    parser.add_argument("--out", default=os.path.join(here, "vocab", "wordnet_nouns.tsv"))
    args = parser.parse_args()

    hypernyms = read_data_noun(os.path.join(args.wordnet, "data.noun"))
    depth = min_depths(hypernyms)
    seen = set()
    rows = []
    for lemma, tagged, offset in read_index_noun(os.path.join(args.wordnet, "index.noun")):
        d = depth[offset]
        if tagged == 0 and d > TOP_LEVELS_ALWAYS_KEPT:
            continue
        word = lemma.replace("_", " ")
        if word in seen:
            continue
        seen.add(word)
        rows.append((word, d, offset))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("word\tdepth\toffset\n")
        for word, d, offset in rows:
            f.write(f"{word}\t{d}\t{offset}\n")
    print(f"wrote {len(rows)} nouns to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
