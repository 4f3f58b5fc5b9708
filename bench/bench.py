"""The vlcluster benchmark driver (run it through bench/run).

For every size M it synthesises a dataset once (`vlcluster synth --d 512 --vocab 20000
--templates 7`), runs `vlcluster cluster` under `/usr/bin/time -v` (peak RSS) and reads the
per-stage timings and ACC/NMI/ARI from result.json, and runs scikit-learn's SpectralClustering
(affinity='nearest_neighbors', n_neighbors=30, random_state=0) and KMeans(n_init=10) on the
same images in a child process (timed in-process around fit_predict; peak RSS of the child).
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

# The CLIP-faithful settings' class counts (vlc/clip_faithful.hpp; models/vocab/clip_faithful_taxonomy.tsv).
SETTING_K = {"stl10": 10, "dogs": 15, "cifar20": 20}

SKLEARN_CHILD = r"""
import json, sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
method, images, truth, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
x = np.load(images).astype(np.float64)
x /= np.linalg.norm(x, axis=1, keepdims=True)
y = np.load(truth)
t0 = time.perf_counter()
if method == "spectral":
    from sklearn.cluster import SpectralClustering
    model = SpectralClustering(n_clusters=k, affinity="nearest_neighbors", n_neighbors=30, random_state=0)
else:
    from sklearn.cluster import KMeans
    model = KMeans(n_clusters=k, n_init=10, random_state=0)
labels = model.fit_predict(x)
seconds = time.perf_counter() - t0
table = metrics.cluster.contingency_matrix(y, labels)
rows, cols = linear_sum_assignment(-table)
acc = table[rows, cols].sum() / len(y)
print(json.dumps({"seconds": seconds, "acc": float(acc),
                  "nmi": float(metrics.normalized_mutual_info_score(y, labels)),
                  "ari": float(metrics.adjusted_rand_score(y, labels))}))
"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timed(cmd, **kw):
    """Runs cmd under /usr/bin/time -v; returns (stdout, stderr, peak RSS in MB, wall seconds)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-3000:]))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024.0 if m else float("nan")
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", p.stderr))
    timed.cpu = cpu
    return p.stdout, p.stderr, rss, wall


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, nproc %d, %s" % (cpu, os.cpu_count(), platform.platform())


def load():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


def main():
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="smoke run: M = 2k, 5k, K = 10")
    ap.add_argument("--sizes", help="vlcluster sizes, comma separated (default 10000,20000,50000,100000)")
    ap.add_argument("--sklearn-sizes", help="scikit-learn sizes (default 10000,20000)")
    ap.add_argument("--k", type=int, help="clusters K (default 100; --quick: 10)")
    ap.add_argument("--bin", help="vlcluster binary (default: build/bench/native/vlcluster, built first)")
    ap.add_argument("--march", default="native", help="-march= of the benchmark's build (default native)")
    ap.add_argument("--no-kernels", action="store_true", help="skip the in-process kernel table (vlc_bench_kernels)")
    ap.add_argument("--data", help="dataset cache folder (default build/bench-data)")
    ap.add_argument("--out", help="markdown table (default bench/results.md; --quick: build/bench-quick.md)")
    ap.add_argument("--threads", type=int, default=0, help="vlcluster --threads (default: all cores)")
    ap.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    ap.add_argument("--no-extra", action="store_true", help="skip the cmatrix and --k auto rows")
    ap.add_argument("--setting", choices=sorted(SETTING_K),
                    help="CLIP-faithful data (`vlcluster synth --setting`, the quality benchmark's generator) "
                         "instead of the easy classic synth, where every method scores 1.000; K = the setting's classes")
    args = ap.parse_args()
    root = args.root
    if args.quick:
        sizes = [2000, 5000]
        sk_sizes = [2000, 5000]
        k = args.k or 10
    else:
        sizes = [10000, 20000, 50000, 100000]
        sk_sizes = [10000, 20000]
        k = args.k or 100
    if args.setting:
        if args.k and args.k != SETTING_K[args.setting]:
            ap.error("--k %d: the %s setting has %d classes" % (args.k, args.setting, SETTING_K[args.setting]))
        k = SETTING_K[args.setting]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.sklearn_sizes is not None:
        sk_sizes = [int(s) for s in args.sklearn_sizes.split(",") if s]
    if args.no_sklearn:
        sk_sizes = []
    out_md = args.out or os.path.join(root, "build/bench-quick.md" if args.quick else "bench/results.md")
    data_dir = args.data or os.path.join(root, "build/bench-data")
    # The benchmark's own build: the CLI and the kernel benchmark for this machine's instruction
    # set (-DVLC_MARCH=native: AVX2/AVX-512 GEMMs). The default build stays portable.
    bdir = os.path.join(root, "build/bench")
    binary = args.bin or os.path.join(bdir, "native/vlcluster")
    if not args.bin:
        log("building", binary, "(-DVLC_MARCH=%s)" % args.march)
        subprocess.run(["cmake", "-S", root, "-B", bdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                        "-DVLC_BUILD_TESTS=OFF", "-DVLC_USE_CUDA=OFF", "-DVLC_BUILD_BENCH=ON",
                        "-DVLC_MARCH=" + args.march], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", bdir, "vlcluster", "vlc_bench_kernels"], check=True, stdout=subprocess.DEVNULL)

    load_before = load()
    started = datetime.datetime.now()
    rows = []

    def dataset(m, kk=None):
        kk = kk or k
        if args.setting:
            d = os.path.join(data_dir, "%s_m%d" % (args.setting, m))
            if not os.path.exists(os.path.join(d, "truth.npy")):
                log("synth --setting %s M=%d -> %s" % (args.setting, m, d))
                subprocess.run([binary, "synth", "--out", d, "--setting", args.setting, "--m", str(m), "--seed", "0",
                                "--taxonomy", os.path.join(root, "models/vocab/clip_faithful_taxonomy.tsv"), "--quiet"],
                               check=True)
            return d
        d = os.path.join(data_dir, "m%d_k%d" % (m, kk))
        if not os.path.exists(os.path.join(d, "truth.npy")):
            log("synth M=%d K=%d -> %s" % (m, kk, d))
            subprocess.run([binary, "synth", "--out", d, "--m", str(m), "--d", "512", "--vocab", "20000",
                            "--templates", "7", "--k", str(kk), "--seed", "1", "--quiet"], check=True)
        return d

    def run_vlcluster(m, label, extra, kk=None):
        d = dataset(m, kk)
        res = os.path.join(d, "result-%s.json" % label.replace(" ", "_").replace("/", ""))
        cmd = [binary, "cluster", "--images", d + "/images.npy", "--nouns", d + "/nouns.npy", "--truth",
               d + "/truth.npy", "--out", res, "--quiet"] + extra
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        log("vlcluster %s M=%d ..." % (label, m))
        env = dict(os.environ)
        # Shared 2-core machines: idle OpenMP threads sleep instead of spinning (spinning
        # threads steal the time slice of the busy one when other jobs load the machine).
        env.setdefault("OMP_WAIT_POLICY", "passive")
        _, _, rss, wall = timed(cmd, env=env)
        r = json.load(open(res))
        # the search's and RAD's counts: result.json's ntk_search and rad_*_iterations
        fallback = sum(t["fallback_rows"] for t in r.get("ntk_search", []))
        pairs = sum(t["candidate_pairs"] for t in r.get("ntk_search", []))
        steps = (r["rad_outer_iterations"], r["rad_inner_iterations"]) if r.get("rad_outer_iterations") else None
        stages = {t["stage"]: t["seconds"] for t in r["timings"]}
        core = sum(v for s, v in stages.items() if s not in ("read", "write"))
        row = {"method": "vlcluster " + label, "m": m, "k": r["k"], "seconds": wall, "cpu": timed.cpu, "rss": rss,
               "acc": r["metrics"]["accuracy"], "nmi": r["metrics"]["nmi"], "ari": r["metrics"]["ari"],
               "stages": stages, "rad": {"outer_iterations": r.get("rad_outer_iterations"), "converged": r.get("rad_converged")},
               "nouns": len(r.get("kept_nouns", [])),
               "fallback": fallback if pairs else None, "pairs": pairs,
               "rad_steps": steps}
        log("  %.1f s, %.0f MB, ACC %.4f, stages %s" % (wall, rss, row["acc"],
            " ".join("%s %.1f" % kv for kv in stages.items())))
        rows.append(row)

    def run_sklearn(m, method):
        d = dataset(m)
        log("sklearn %s M=%d ..." % (method, m))
        out, _, rss, wall = timed([sys.executable, "-c", SKLEARN_CHILD, method, d + "/images.npy",
                                   d + "/truth.npy", str(k)])
        r = json.loads(out.strip().splitlines()[-1])
        row = {"method": "sklearn " + ("SpectralClustering" if method == "spectral" else "KMeans"), "m": m,
               "k": k, "seconds": r["seconds"], "cpu": timed.cpu, "rss": rss, "acc": r["acc"],
               "nmi": r["nmi"], "ari": r["ari"], "stages": {}}
        log("  %.1f s, %.0f MB, ACC %.4f" % (r["seconds"], rss, r["acc"]))
        rows.append(row)

    for m in sorted(set(sizes) | set(sk_sizes)):
        if m in sizes:
            run_vlcluster(m, "ntk-rad", ["--k", str(k)])
        if m in sk_sizes:
            run_sklearn(m, "spectral")
            run_sklearn(m, "kmeans")
            if not args.no_extra:
                run_vlcluster(m, "cmatrix", ["--k", str(k), "--method", "cmatrix"])
    if not args.no_extra:
        # Automatic K costs one k-means per candidate K (the coding-length curve is always
        # computed too), so it runs on a smaller problem: M = 5000, true K = 20, candidates 2..40.
        am, ak = (2000, 10) if args.quick else (5000, 20)
        run_vlcluster(am, "--k auto", ["--k", "auto", "--kmin", "2", "--kmax", str(2 * ak), "--k-rule", "eigengap"],
                      kk=ak)

    # ---- table
    spectral = {r["m"]: r["seconds"] for r in rows if r["method"] == "sklearn SpectralClustering"}
    stage_names = ["filter", "graph", "rad", "estimate-k", "spectral", "cmatrix", "kmeans", "name"]
    head = ("| method | M | K | seconds | CPU s | vs sklearn spectral | peak RSS (MB) | ACC | NMI | ARI | "
            "stages (s) and notes |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        ratio = ""
        if r["m"] in spectral and not r["method"].startswith("sklearn Spectral"):
            ratio = "%.1f× faster" % (spectral[r["m"]] / r["seconds"]) if r["seconds"] <= spectral[r["m"]] \
                else "%.1f× slower" % (r["seconds"] / spectral[r["m"]])
        elif r["m"] in spectral:
            ratio = "1.0"
        st = " ".join("%s %.1f" % (s, r["stages"][s]) for s in stage_names if s in r["stages"])
        if r.get("rad_steps"):
            st += "; RAD %d rounds, %d Â-steps" % r["rad_steps"]
        if r.get("pairs"):
            st += "; NTK %.2g candidate pairs (dense %.2g), %d fallback rows" % (
                r["pairs"], 7.0 * r["m"] * (r["m"] - 1), r["fallback"])
        if r.get("nouns"):
            st += "; N = %d nouns" % r["nouns"]
        lines.append("| %s | %d | %d | %.1f | %.1f | %s | %.0f | %.4f | %.4f | %.4f | %s |" % (
            r["method"], r["m"], r["k"], r["seconds"], r["cpu"], ratio, r["rss"], r["acc"], r["nmi"], r["ari"], st))
    load_after = load()
    header = [
        "# vlcluster benchmark%s" % (" (quick)" if args.quick else ""),
        "",
        "- date: %s (%.0f min)" % (started.strftime("%Y-%m-%d %H:%M"),
                                   (datetime.datetime.now() - started).total_seconds() / 60),
        "- machine: %s" % machine(),
        "- load average (1/5/15 min) before: %s, after: %s" % (" ".join(load_before), " ".join(load_after)),
        ("- data: `vlcluster synth --setting %s --m M --seed 0` (CLIP-faithful, K = %d)" % (args.setting, k)) if args.setting
        else "- data: `vlcluster synth --d 512 --vocab 20000 --templates 7 --k %d --seed 1`" % k,
        "- vlcluster: `%s` (%s; threads: %s, OMP_WAIT_POLICY=%s); seconds = wall time of the whole command "
        "(read, normalise, cluster, name, write), stages from result.json; peak RSS from /usr/bin/time -v"
        % (os.path.relpath(binary, root), "given with --bin" if args.bin else "-DVLC_MARCH=" + args.march,
           args.threads or "all", os.environ.get("OMP_WAIT_POLICY", "passive")),
        "- CPU s = user + system time of the whole process (sklearn: of the child, incl. import and loading); "
        "with other jobs on the machine, wall seconds overstate the time on a quiet machine, CPU s/2 is the "
        "ideal 2-core wall time",
        "- scikit-learn: SpectralClustering(affinity='nearest_neighbors', n_neighbors=30, random_state=0) and "
        "KMeans(n_init=10, random_state=0) on the L2-normalised images, seconds = fit_predict in-process",
        "",
    ]
    kernels = []
    kbin = os.path.join(bdir, "vlc_bench_kernels")
    if not args.no_kernels and not args.bin and os.path.exists(kbin):
        km = 2000 if args.quick else 20000
        log("kernel A/B at M=%d ..." % km)
        kout = subprocess.run([kbin, str(km), str(k)], check=True, capture_output=True, text=True,
                              env=dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))).stdout
        kernels = ["", "## Kernels, each against its reference form in the same process (`%s %d %d`)" % (
            os.path.relpath(kbin, root), km, k), "", kout.strip()]
    text = "\n".join(header + lines + kernels) + "\n"
    print(text)
    os.makedirs(os.path.dirname(out_md), exist_ok=True)
    with open(out_md, "w") as f:
        f.write(text)
    log("wrote", out_md)


if __name__ == "__main__":
    main()
