#!/usr/bin/python3
"""Compares one MPI run of `vlcluster cluster` with the single-process build's run on the same
input and seed (scripts/test.d/mpi.sh). Prints one "ok ..." or "FAIL ..." line per check.

usage: compare.py REF.json REF_labels.npy RUN.json RUN_labels.npy RANKS

Checks, each with its tolerance:
  labels   equal up to a permutation of the cluster ids; otherwise ARI >= 0.99 passes with the
           count of images that moved (reduction order differs: the MPI ranks' mat-vec sums a
           row's diagonal-block and off-block parts separately, so eigenvectors agree to ~1e-10,
           not bit for bit)
  k        equal
  nouns    the kept nouns equal (the noun filter is replicated: bit-identical input)
  beta     RAD's template weights within 1e-6 (the masked products are the core's row kernel,
           but the NTK Gram blocks group a rank's rows differently, so K values may differ in
           the last float bits; measured differences are ~1e-14)
  eigen    the top-k eigenvalues within 1e-6, and at least one below 1 (one the deflated
           solver computed, SLEPc in the MPI build: otherwise the case would not test it)
  device   device (the backend that ran) names the MPI backend with RANKS ranks
"""
import json
import sys

import numpy as np
from sklearn.metrics import adjusted_rand_score

ref_json, ref_labels, run_json, run_labels, ranks = sys.argv[1:6]
ref, run = json.load(open(ref_json)), json.load(open(run_json))
a, b = np.load(ref_labels), np.load(run_labels)
failed = 0


def check(name, ok, detail):
    global failed
    print(("ok " if ok else "FAIL ") + name + ": " + detail)
    failed += 0 if ok else 1


def same_up_to_permutation(x, y):
    if x.shape != y.shape:
        return False
    pairs = set(zip(x.tolist(), y.tolist()))
    return len(pairs) == len(set(x.tolist())) == len(set(y.tolist()))


if same_up_to_permutation(a, b):
    check("labels", True, "%d labels equal up to a permutation" % len(a))
else:
    ari = adjusted_rand_score(a, b) if a.shape == b.shape else -1
    check("labels", ari >= 0.99, "not a permutation; ARI %.4f (needs >= 0.99)" % ari)
check("k", ref["k"] == run["k"], "%s vs %s" % (ref["k"], run["k"]))
check("nouns", ref["kept_nouns"] == run["kept_nouns"], "%d vs %d kept" % (len(ref["kept_nouns"]), len(run["kept_nouns"])))
db = max([abs(x - y) for x, y in zip(ref["beta"], run["beta"])] + [0.0]) if len(ref["beta"]) == len(run["beta"]) else 1
check("beta", db <= 1e-6, "max |Δβ| %.2e (tolerance 1e-6)" % db)
de = (max([abs(x - y) for x, y in zip(ref["eigenvalues"], run["eigenvalues"])] + [0.0])
      if len(ref["eigenvalues"]) == len(run["eigenvalues"]) else 1)
deflated = sum(1 for x in run["eigenvalues"] if x < 1 - 1e-9)
check("eigen", de <= 1e-6 and deflated > 0,
      "max |Δλ| %.2e (tolerance 1e-6), %d of %d from the deflated solver" % (de, deflated, len(run["eigenvalues"])))
device = run["device"]
check("device", device.startswith("mpi:%s " % ranks), device)
sys.exit(1 if failed else 0)
