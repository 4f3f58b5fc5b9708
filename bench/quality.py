#!/usr/bin/python3
"""The quality benchmark: vlcluster's methods against scikit-learn on CLIP-faithful data.

    bench/quality.py [--m 1500] [--seeds 0,1,2] [--settings stl10,dogs,cifar20] [--out bench/quality.md]

Builds build/native (vlc_quality), which generates each setting × seed with
vlc::make_clip_faithful (core/include/vlc/clip_faithful.hpp), prints the data's statistics,
runs vlcluster's methods with the true K and ntk-rad with automatic K, and dumps the
embeddings; then scikit-learn's KMeans(n_init=10) and SpectralClustering(affinity=
"nearest_neighbors", n_neighbors=30) run on the same images. Prints a Markdown table of ACC
(mean over seeds, and the worst seed) per method and setting, automatic K's choices, and name
quality (share of clusters named by their class noun or a hyponym of it).

The speed benchmark is bench/run; this one is about partitions only.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dense_reference(z, t, k, seed, tau=0.04, q=30, per_centre=5):
    """A plain dense numpy version of §1, §2, the naive mean (Eq. 41) and §4 (mutual kNN, eigsh,
    k-means on the row-normalised eigenvectors): what a reader of the paper would write first."""
    from scipy.sparse.linalg import eigsh
    from sklearn.cluster import KMeans

    m = z.shape[0]
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    z = unit(z)
    t = [unit(tb) for tb in t]
    t_bar = unit(sum(t) / len(t))
    centres_n = min(m, max(-(-m // 300), 3 * k))
    km = KMeans(n_clusters=centres_n, n_init=3, random_state=seed).fit(z)
    c = unit(km.cluster_centers_)
    logits = c @ t_bar.T  # centres × nouns; softmax over centres (§1 step 4)
    p = np.exp(logits - logits.max(axis=0)) / np.exp(logits - logits.max(axis=0)).sum(axis=0)
    owner, conf = p.argmax(axis=0), p.max(axis=0)
    kept = sorted(set(int(j) for r in range(centres_n)
                      for j in np.where(owner == r)[0][np.argsort(-conf[owner == r])][:per_centre]))
    graphs = []
    for tb in t:
        w = tb[kept]
        logit = z @ w.T / tau
        s = np.exp(logit - logit.max(axis=1, keepdims=True))
        s /= s.sum(axis=1, keepdims=True)
        kk = (z @ z.T) * (s @ s.T) / tau ** 2
        np.fill_diagonal(kk, -np.inf)
        nn = np.argsort(-kk, axis=1, kind="stable")[:, :q]
        member = np.zeros((m, m), dtype=bool)
        member[np.repeat(np.arange(m), q), nn.ravel()] = True
        mutual = member & member.T
        a = np.where(mutual, np.maximum(kk, 0), 0.0)
        for i in np.where(a.sum(axis=1) == 0)[0]:  # isolated-node rule
            j = nn[i, 0]
            a[i, j] = a[j, i] = max(kk[i, j], 0) or 1e-12
        graphs.append(a)
    a = sum(graphs) / len(graphs)
    d = a.sum(axis=1)
    d[d == 0] = 1
    norm = a / np.sqrt(np.outer(d, d))
    _, vecs = eigsh(norm, k=k, which="LA")
    rows = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-300)
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(rows)


def sklearn_runs(stem, k, seed):
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from scipy.optimize import linear_sum_assignment

    z = np.load(stem + "_images.npy").astype(np.float64)
    truth = np.load(stem + "_truth.npy")

    def acc(labels):
        table = np.zeros((labels.max() + 1, truth.max() + 1))
        np.add.at(table, (labels, truth), 1)
        r, c = linear_sum_assignment(-table)
        return table[r, c].sum() / len(truth)

    out = {}
    if z.shape[0] <= 2000:
        nouns = np.load(stem + "_nouns.npy").astype(np.float64)
        labels = dense_reference(z, list(nouns), k, seed)
        out["dense numpy reference (§1, §2, mean, §4)"] = {"acc": acc(labels), "nmi": normalized_mutual_info_score(truth, labels),
                                                         "ari": adjusted_rand_score(truth, labels)}
    for name, model in [("sklearn KMeans", KMeans(n_clusters=k, n_init=10, random_state=seed)),
                        ("sklearn SpectralClustering", SpectralClustering(n_clusters=k, affinity="nearest_neighbors",
                                                                          n_neighbors=30, random_state=seed))]:
        labels = model.fit_predict(z)
        out[name] = {"acc": acc(labels), "nmi": normalized_mutual_info_score(truth, labels),
                     "ari": adjusted_rand_score(truth, labels)}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--m", type=int, default=1500)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--settings", default="stl10,dogs,cifar20")
    p.add_argument("--methods", default="ntk-rad,ntk-mean,cosine,kmeans")
    p.add_argument("--jsonl", nargs="*", help="reuse vlc_quality output instead of running it")
    p.add_argument("--dump", default=os.path.join(ROOT, "build", "quality"))
    p.add_argument("--out", default=None)
    a = p.parse_args()

    records = []
    if a.jsonl:
        for f in a.jsonl:
            records += [json.loads(line) for line in open(f) if line.strip()]
    else:
        os.makedirs(a.dump, exist_ok=True)
        subprocess.run(["cmake", "-S", ROOT, "-B", os.path.join(ROOT, "build", "native"), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release", "-DVLC_BUILD_CLI=ON"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", os.path.join(ROOT, "build", "native"), "vlc_quality"], check=True,
                       stdout=subprocess.DEVNULL)
        run = subprocess.run([os.path.join(ROOT, "build", "native", "vlc_quality"), "--taxonomy",
                              os.path.join(ROOT, "models", "vocab", "clip_faithful_taxonomy.tsv"), "--settings",
                              a.settings, "--seeds", a.seeds, "--methods", a.methods, "--m", str(a.m), "--dump", a.dump],
                             check=True, capture_output=True, text=True)
        records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]

    stats = [r for r in records if r["kind"] == "stats"]
    results = [r for r in records if r["kind"] == "result"]
    for s in stats:
        stem = os.path.join(a.dump, f"{s['setting']}_s{s['seed']}")
        if not os.path.exists(stem + "_images.npy"):
            continue
        for name, sc in sklearn_runs(stem, s["k"], s["seed"]).items():
            results.append({"kind": "result", "setting": s["setting"], "seed": s["seed"], "method": name,
                            "k_given": s["k"], "k": s["k"], "names_ok": None, **sc})

    settings = [s for s in a.settings.split(",") if any(r["setting"] == s for r in results)]
    lines = ["| method | " + " | ".join(settings) + " |", "|---|" + "---|" * len(settings)]
    methods = []
    for r in results:
        key = r["method"] + (" (auto K)" if r["k_given"] == 0 else "")
        if key not in methods:
            methods.append(key)
    for key in methods:
        cells = []
        for s in settings:
            rs = [r for r in results if r["setting"] == s and r["method"] + (" (auto K)" if r["k_given"] == 0 else "") == key]
            if not rs:
                cells.append("–")
                continue
            accs = [100 * r["acc"] for r in rs]
            cell = f"{np.mean(accs):.1f} (min {min(accs):.1f})"
            if key.endswith("(auto K)"):
                cell += " K = " + ",".join(str(r["k"]) for r in rs)
            cells.append(cell)
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Name quality of ntk-rad (true K; share of clusters named by their class noun or a hyponym): " + ", ".join(
        f"{s} {100 * np.mean([r['names_ok'] for r in results if r['setting'] == s and r['method'] == 'ntk-rad' and r['k_given'] > 0]):.0f}%"
        for s in settings))
    lines.append("")
    lines.append("Data statistics (mean over seeds): " + "; ".join(
        f"{s}: matched {np.mean([x['matched'] for x in stats if x['setting'] == s]):.3f}, unmatched "
        f"{np.mean([x['unmatched'] for x in stats if x['setting'] == s]):.3f}, centroids "
        f"{np.mean([x['centroid_distance'] for x in stats if x['setting'] == s]):.3f}, images within/between "
        f"{np.mean([x['image_within'] for x in stats if x['setting'] == s]):.3f}/"
        f"{np.mean([x['image_between'] for x in stats if x['setting'] == s]):.3f}, nouns "
        f"{np.mean([x['noun_noun'] for x in stats if x['setting'] == s]):.3f}, zero-shot "
        f"{100 * np.mean([x['zero_shot'] for x in stats if x['setting'] == s]):.1f}"
        for s in settings))
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
