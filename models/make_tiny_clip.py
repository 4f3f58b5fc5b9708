#!/usr/bin/python3
"""Writes a tiny, deterministic, CLIP-shaped model: the test stand-in for a CLIP ViT-B/32 ONNX export.

    /usr/bin/python3 models/make_tiny_clip.py                # -> models/tiny-clip/
    /usr/bin/python3 models/make_tiny_clip.py --out DIR --dim 64 --hidden 32
    /usr/bin/python3 models/make_tiny_clip.py --out DIR --broken-output   # outputs renamed (error tests)
    /usr/bin/python3 models/make_tiny_clip.py --out DIR --dynamic-length  # text input [batch,sequence_length]

Needs only Debian's python3-onnx (1.12) and python3-numpy; downloads nothing. Same arguments give
byte-identical files (seeded numpy generator, fixed producer fields).

Files written, with the same names, input/output names, dtypes and shapes as the real export:
  vision_model.onnx  pixel_values float32 [batch,3,224,224] -> image_embeds float32 [batch,dim]
  text_model.onnx    input_ids int64 [batch,77], attention_mask int64 [batch,77]
                     -> text_embeds float32 [batch,dim]
  vocab.json, merges.txt   a small byte-level BPE vocabulary in the HuggingFace CLIP format
With --dynamic-length the text model takes [batch,sequence_length] (any length up to 77), as the
public Transformers.js exports do; its weights are the same, so at length 77 it equals the default.

Vision tower: 32x32 patches (7x7 grid, as ViT-B/32) -> linear(3072 -> hidden) + position embedding
-> tanh -> mean over patches -> linear(hidden -> dim) -> L2 normalisation.
Text tower: token embedding + position embedding -> mean over the attention mask -> tanh
-> linear(width -> dim) -> L2 normalisation.
The weights are fixed random numbers, so the embeddings mean nothing semantically, but different
images (colours, patterns) and different token sequences land in clearly different places.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IMAGE = 224
PATCH = 32
GRID = IMAGE // PATCH
CONTEXT = 77
OPSET = 17

# Words the tiny vocabulary learns merges for (tests tokenise these); any other text still
# tokenises, falling back to shorter pieces and single bytes, as with the real vocabulary.
CORPUS = """
a photo of a cat . a photo of a dog . a picture of the beach at sunset .
red green blue yellow black white orange purple pink brown gray
cat cats dog dogs car cars bird birds tree trees flower flowers house houses
beach mountain mountains sunset sunrise city night day food people person portrait
snow forest river lake sea ocean sky cloud clouds water party birthday wedding
the a an of in on at with and is it's don't we're they've i'm you'll he'd
photo photos picture pictures image images selfie screenshot document receipt
""".split()


def bytes_to_unicode():
    """CLIP's (GPT-2's) reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def train_bpe(words, max_merges):
    """Greedy byte-level BPE on `words` (a word ends with '</w>' on its last symbol).
    Ties are broken by the lexicographically smallest pair, so the result is deterministic."""
    b2u = bytes_to_unicode()
    freq = {}
    for w in words:
        syms = [b2u[b] for b in w.encode("utf-8")]
        syms[-1] += "</w>"
        freq[tuple(syms)] = freq.get(tuple(syms), 0) + 1
    merges = []
    while len(merges) < max_merges:
        counts = {}
        for word, f in freq.items():
            for a, b in zip(word, word[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + f
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = {}
        for word, f in freq.items():
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + f
        freq = new
    return merges


def make_vocab(max_merges):
    b2u = bytes_to_unicode()
    base = list(b2u.values())
    merges = train_bpe(CORPUS, max_merges)
    tokens = base + [t + "</w>" for t in base] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {}
    for t in tokens:  # a merge can rebuild an existing token only in pathological corpora; keep first id
        vocab.setdefault(t, len(vocab))
    return vocab, merges


def init(rng, *shape, scale=1.0):
    fan_in = shape[0] if len(shape) > 1 else 1
    return (rng.standard_normal(shape) * scale / np.sqrt(fan_in)).astype(np.float32)


def finish(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="vlcluster-make_tiny_clip", producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))


def l2_normalise(nodes, x, out):
    nodes += [
        helper.make_node("ReduceL2", [x], [x + "_norm"], axes=[1], keepdims=1),
        helper.make_node("Max", [x + "_norm", "eps"], [x + "_norm_c"]),
        helper.make_node("Div", [x, x + "_norm_c"], [out]),
    ]


def vision_model(rng, hidden, dim, out_name):
    w1 = init(rng, 3 * PATCH * PATCH, hidden, scale=1.5)
    b1 = init(rng, hidden, scale=0.1)
    pos = init(rng, GRID * GRID, hidden, scale=0.5)
    w2 = init(rng, hidden, dim)
    inits = [
        numpy_helper.from_array(np.array([-1, 3, GRID, PATCH, GRID, PATCH], np.int64), "shape6"),
        numpy_helper.from_array(np.array([-1, GRID * GRID, 3 * PATCH * PATCH], np.int64), "shape3"),
        numpy_helper.from_array(w1, "patch_w"), numpy_helper.from_array(b1, "patch_b"),
        numpy_helper.from_array(pos, "pos"), numpy_helper.from_array(w2, "proj_w"),
        numpy_helper.from_array(np.array(1e-12, np.float32), "eps"),
    ]
    nodes = [
        # [B,3,224,224] -> [B,3,7,32,7,32] -> [B,7,7,3,32,32] -> [B,49,3072]
        helper.make_node("Reshape", ["pixel_values", "shape6"], ["p6"]),
        helper.make_node("Transpose", ["p6"], ["p6t"], perm=[0, 2, 4, 1, 3, 5]),
        helper.make_node("Reshape", ["p6t", "shape3"], ["patches"]),
        helper.make_node("MatMul", ["patches", "patch_w"], ["h0"]),
        helper.make_node("Add", ["h0", "patch_b"], ["h1"]),
        helper.make_node("Add", ["h1", "pos"], ["h2"]),
        helper.make_node("Tanh", ["h2"], ["h3"]),
        helper.make_node("ReduceMean", ["h3"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "proj_w"], ["emb"]),
    ]
    l2_normalise(nodes, "emb", out_name)
    graph = helper.make_graph(
        nodes, "tiny_clip_vision",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, IMAGE, IMAGE])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", dim])],
        inits)
    return graph


def text_model(rng, vocab_size, width, dim, out_name, dynamic_length=False):
    emb = (rng.standard_normal((vocab_size, width)) * 0.5).astype(np.float32)
    pos = (rng.standard_normal((CONTEXT, width)) * 0.05).astype(np.float32)
    w = init(rng, width, dim)
    inits = [
        numpy_helper.from_array(emb, "tok_emb"), numpy_helper.from_array(pos, "pos"),
        numpy_helper.from_array(w, "proj_w"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(1e-12, np.float32), "eps"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [helper.make_node("Gather", ["tok_emb", "input_ids"], ["t0"], axis=0)]   # [B,77,W]
    pos_name = "pos"
    if dynamic_length:
        # Sequences of any length up to 77, as a real export (sequence_length is symbolic there):
        # the position embeddings are cut to the input's length.
        inits += [numpy_helper.from_array(np.array([0], np.int64), "zero1")]
        nodes += [
            helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
            helper.make_node("Slice", ["ids_shape", "axis1", "axis2"], ["seq_len"]),  # shape[1:2]
            helper.make_node("Slice", ["pos", "zero1", "seq_len", "zero1"], ["pos_cut"]),
        ]
        pos_name = "pos_cut"
    seq = "sequence_length" if dynamic_length else CONTEXT
    nodes += [
        helper.make_node("Add", ["t0", pos_name], ["t1"]),
        helper.make_node("Cast", ["attention_mask"], ["m0"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["m0", "axis2"], ["m1"]),                   # [B,77,1]
        helper.make_node("Mul", ["t1", "m1"], ["t2"]),
        helper.make_node("ReduceSum", ["t2", "axis1"], ["s"], keepdims=0),       # [B,W]
        helper.make_node("ReduceSum", ["m1", "axis1"], ["n"], keepdims=0),       # [B,1]
        helper.make_node("Max", ["n", "one"], ["n1"]),
        helper.make_node("Div", ["s", "n1"], ["mean"]),
        helper.make_node("Tanh", ["mean"], ["act"]),
        helper.make_node("MatMul", ["act", "proj_w"], ["emb"]),
    ]
    l2_normalise(nodes, "emb", out_name)
    graph = helper.make_graph(
        nodes, "tiny_clip_text",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", seq])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", dim])],
        inits)
    return graph


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "tiny-clip"), help="output folder")
    ap.add_argument("--dim", type=int, default=64, help="embedding dimension (ViT-B/32: 512)")
    ap.add_argument("--hidden", type=int, default=32, help="vision hidden width")
    ap.add_argument("--width", type=int, default=32, help="text embedding width")
    ap.add_argument("--merges", type=int, default=300, help="maximum number of BPE merges")
    ap.add_argument("--seed", type=int, default=20240531)
    ap.add_argument("--broken-output", action="store_true",
                    help='name the outputs "embeddings" instead of image_embeds/text_embeds (error tests)')
    ap.add_argument("--dynamic-length", action="store_true",
                    help="text model takes sequences of any length up to 77 (as real exports do)")
    args = ap.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    vocab, merges = make_vocab(args.merges)
    with open(os.path.join(args.out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=0, sort_keys=False)
        f.write("\n")
    with open(os.path.join(args.out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")

    rng = np.random.default_rng(args.seed)
    vis_out = "embeddings" if args.broken_output else "image_embeds"
    txt_out = "embeddings" if args.broken_output else "text_embeds"
    finish(vision_model(rng, args.hidden, args.dim, vis_out), os.path.join(args.out, "vision_model.onnx"))
    finish(text_model(rng, len(vocab), args.width, args.dim, txt_out, args.dynamic_length), os.path.join(args.out, "text_model.onnx"))
    print(f"make_tiny_clip: wrote {args.out} (dim {args.dim}, vocab {len(vocab)}, merges {len(merges)})", file=sys.stderr)


if __name__ == "__main__":
    main()
