#!/usr/bin/env python3
"""Builds models/vocab/clip_faithful_taxonomy.tsv: the WordNet noun tree of the CLIP-faithful
benchmark generator (vlc/clip_faithful.hpp), from Debian's wordnet-base files.

    /usr/bin/python3 models/build_taxonomy.py [--wordnet /usr/share/wordnet] [--size 2500] [--seed 0]

Why a tree and not a word list: what makes real CLIP data hard for clustering and naming is
its hierarchy. Generic nouns ("animal", "vehicle", "artifact") match many classes at once,
dog breeds sit a few links apart under "dog", and a CIFAR-20 superclass groups sub-types that
WordNet puts far apart (clock, keyboard, lamp). The generator gives every node a semantic
vector that drifts from its parent's, so those relations carry over to the embeddings.

Content (deterministic for a given --seed):
  * every class, sub-type and class-name noun of the three benchmark settings (SETTINGS
    below: STL-10-like, ImageNet-Dogs-like, CIFAR-20-like), each node's first WordNet sense,
  * the whole first-hypernym chain of each up to "entity" (the generic nouns),
  * random common nouns (SemCor-tagged lemmas, first sense) with their chains, until --size.
Each synset appears once, named by the lemma that brought it in (else its first lemma).

Output, tab-separated, header first, rows in a fixed order:
    word  parent  depth  offset
  parent  row index (0-based, data rows) of the node's first hypernym; -1 for the root
  depth   links to the root along first hypernyms (entity = 0)
  offset  the synset's offset in data.noun
and before the header, one line per setting:
    #setting <name> <class>=<subtype>|<subtype>...;<class>=...
  where <class> is the class-name noun (the zero-shot label and the name a cluster should get)
  and the sub-types are the nouns the images show (a class with one sub-type shows itself).
"""
import argparse
import os
import random
import sys

# The three named settings. Classes are STL-10's; 15 ImageNet dog breeds (the usual
# ImageNet-Dogs subset); CIFAR-100's 20 superclasses of 5 sub-types each, with the WordNet
# noun closest to each superclass name as the class name.
SETTINGS = {
    "stl10": [(c, [c]) for c in ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]],
    "dogs": [(c, [c]) for c in ["maltese dog", "blenheim spaniel", "basset", "norwegian elkhound", "giant schnauzer",
                                "golden retriever", "brittany spaniel", "clumber", "welsh springer spaniel",
                                "groenendael", "kelpie", "shetland sheepdog", "doberman", "pug", "chow"]],
    "cifar20": [
        ("aquatic mammal", ["beaver", "dolphin", "otter", "seal.9", "whale"]),
        ("fish", ["goldfish", "flatfish", "ray.7", "shark", "trout"]),
        ("flower", ["orchid", "poppy", "rose", "sunflower", "tulip"]),
        ("container", ["bottle", "bowl", "can", "cup", "plate.4"]),
        ("produce", ["apple", "mushroom", "orange", "pear", "sweet pepper"]),
        ("electrical device", ["clock", "keyboard", "lamp", "telephone", "television"]),
        ("furniture", ["bed", "chair", "couch", "table.2", "wardrobe"]),
        ("insect", ["bee", "beetle", "butterfly", "caterpillar", "cockroach"]),
        ("carnivore", ["bear", "leopard", "lion", "tiger", "wolf"]),
        ("structure", ["bridge", "castle", "house", "road", "skyscraper"]),
        ("geological formation", ["cloud", "forest", "mountain", "plain", "sea"]),
        ("herbivore", ["camel", "cattle", "chimpanzee", "elephant", "kangaroo"]),
        ("mammal", ["fox", "porcupine", "possum", "raccoon", "skunk"]),
        ("invertebrate", ["crab", "lobster", "snail", "spider", "worm"]),
        ("person", ["baby", "boy", "girl", "man", "woman"]),
        ("reptile", ["crocodile", "dinosaur", "lizard", "snake", "turtle"]),
        ("rodent", ["hamster", "mouse", "rabbit", "shrew", "squirrel"]),
        ("tree", ["maple", "oak", "palm.3", "pine", "willow"]),
        ("vehicle", ["bicycle", "bus", "motorcycle", "pickup", "train"]),
        ("machine", ["lawn mower", "rocket", "streetcar", "tank", "tractor"]),
    ],
}


def read_data_noun(path):
    """synset offset -> (first lemma, first hypernym offset or None)."""
    synsets = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):  # licence header
                continue
            fields = line.split(" | ", 1)[0].split()
            offset, w_cnt = fields[0], int(fields[3], 16)
            lemma = fields[4].replace("_", " ").lower()
            pos = 4 + 2 * w_cnt
            p_cnt = int(fields[pos])
            pos += 1
            parent = None
            for _ in range(p_cnt):
                symbol, target, target_pos = fields[pos], fields[pos + 1], fields[pos + 2]
                if parent is None and symbol in ("@", "@i") and target_pos == "n":
                    parent = target
                pos += 4
            synsets[offset] = (lemma, parent)
    return synsets


def read_index_noun(path):
    """lemma (spaces, lower case) -> (tagsense_cnt, synset offsets in sense order)."""
    index = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            lemma, p_cnt = fields[0].replace("_", " "), int(fields[3])
            sense_cnt = int(fields[2])
            index[lemma] = (int(fields[5 + p_cnt]), fields[6 + p_cnt:6 + p_cnt + sense_cnt])
    return index


class Tree:
    def __init__(self, synsets):
        self.synsets = synsets
        self.rows = []  # [word, parent offset, offset]
        self.row_of = {}
        self.words = set()

    def add_chain(self, offset, word=None):
        """Adds offset and its first-hypernym chain; returns the offset's row."""
        chain = []
        o = offset
        while o is not None and o not in self.row_of:
            chain.append(o)
            o = self.synsets[o][1]
        for o in reversed(chain):  # root side first, so a parent's row precedes its children
            name = self.synsets[o][0]
            if o == offset and word is not None:
                name = word
            if name in self.words:  # another synset already uses this lemma: keep words unique
                name = f"{name} ({o})"
            self.words.add(name)
            self.row_of[o] = len(self.rows)
            self.rows.append([name, self.synsets[o][1], o])
        return self.row_of[offset]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet", default="/usr/share/wordnet")
    parser.add_argument("--size", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(here, "vocab", "clip_faithful_taxonomy.tsv"))
    args = parser.parse_args()

    synsets = read_data_noun(os.path.join(args.wordnet, "data.noun"))
    index = read_index_noun(os.path.join(args.wordnet, "index.noun"))
    tree = Tree(synsets)

    def lookup(entry):
        """'word' = its first (most frequent) sense; 'word.N' = sense N, where the first is not
        the one a photo shows (seal.1 is a fastener, seal.9 the animal)."""
        word, _, sense = entry.partition(".")
        if word not in index:
            sys.exit(f"build_taxonomy: '{word}' is not a WordNet noun lemma")
        n = int(sense) if sense else 1
        return word, index[word][1][n - 1]

    for name in sorted(SETTINGS):
        for cls, subtypes in SETTINGS[name]:
            tree.add_chain(*reversed(lookup(cls)))
            for s in subtypes:
                tree.add_chain(*reversed(lookup(s)))
    common = sorted(w for w, (tagged, _) in index.items() if tagged > 0 and not any(ch.isdigit() for ch in w))
    rng = random.Random(args.seed)
    rng.shuffle(common)
    for w in common:
        if len(tree.rows) >= args.size:
            break
        o = index[w][1][0]
        if o in tree.row_of:
            continue
        tree.add_chain(o, w if w not in tree.words else None)

    depth = []
    for word, parent, o in tree.rows:
        depth.append(0 if parent is None else depth[tree.row_of[parent]] + 1)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for name in sorted(SETTINGS):
            classes = ";".join(f"{c}={'|'.join(x.partition('.')[0] for x in s)}" for c, s in SETTINGS[name])
            f.write(f"#setting {name} {classes}\n")
        f.write("word\tparent\tdepth\toffset\n")
        for (word, parent, o), d in zip(tree.rows, depth):
            f.write(f"{word}\t{-1 if parent is None else tree.row_of[parent]}\t{d}\t{o}\n")
    print(f"wrote {len(tree.rows)} nouns to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
