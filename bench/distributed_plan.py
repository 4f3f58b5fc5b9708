#!/usr/bin/python3
"""Per-rank memory and communication of the MPI build (docs/distributed.md), per stage, from
the formulas of that document; prints the plan tables for 10^7 and 10^8 images.

usage: bench/distributed_plan.py [--ranks 64] [--k 1000] [--omega 30] [--candidates 10]

The formulas (bytes; M images, d, B templates, q, P ranks, N = omega·M entries of Omega,
c = candidate + value nouns per image and template, K clusters, nev ≈ K eigenpairs):

  this version (data replicated on every rank, arithmetic split by rows)
    Z (input + normalised)            8·M·d
    §2 sparse softmax + postings      B·M·c·12
    §2 all neighbour lists            8·M·q·B
    §2/§3 graphs and their S_b        24·B·M·(q + 2)          (vlc/limits.hpp's term)
    §3 RAD on Omega                   128·N                    (12 + 8B + 24 + 36 at B = 7)
    §4 eigenvectors (gathered) + k-means rows   24·M·K
    peak = Z + max(§2 + graphs, graphs + RAD, 12·N + §4)
  the next version (every array by row blocks, docs/distributed.md "What the next version
  distributes"): the same arrays / P, plus two ring buffers of Z rows 8·(M/P)·d, plus a halo of
  at most the rank's own rows again for §3 (bounded by 2× the rank's share).

  traffic received per rank (this version)
    read        4·M·d·(1 − 1/P)
    §2 lists    8·M·q·B·(1 − 1/P)
    §3 RAD      R · 8·N·(1 − 1/P),  R = B·(steps + rounds + 1) masked products
    §4 vectors  8·M·nev
"""
import argparse

GB = 1e9


def version1(m, d, b, q, p, n, c, k):
    z = 8 * m * d
    soft = b * m * c * 12
    lists = 8 * m * q * b
    graphs = 24 * b * m * (q + 2)
    rad = 128 * n
    eig = 24 * m * k
    peak = z + max(soft + lists + graphs, graphs + rad, 12 * n + eig)
    return {"Z": z, "§2": soft + lists, "graphs": graphs, "§3": rad, "§4": eig, "peak": peak}


def version2(m, d, b, q, p, n, c, k):
    v1 = version1(m, d, b, q, p, n, c, k)
    per = {key: value / p for key, value in v1.items()}
    per["§2"] += 2 * 8 * (m / p) * d  # ring buffers
    per["§3"] *= 2  # halo ≤ own share
    per["peak"] = per["Z"] + max(per["§2"] + per["graphs"], per["graphs"] + per["§3"], 12 * n / p + per["§4"])
    return per


def traffic(m, d, b, q, p, n, rounds=3, steps=20, nev=1000):
    r = b * (steps + rounds + 1)
    f = 1 - 1 / p
    return {"read": 4 * m * d * f, "§2": 8 * m * q * b * f, "§3": r * 8 * n * f, "§4": 8 * m * nev}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranks", type=int, default=64)
    ap.add_argument("--k", type=int, default=1000)
    ap.add_argument("--omega", type=float, default=30)
    ap.add_argument("--candidates", type=float, default=10)
    ap.add_argument("--d", type=int, default=512)
    ap.add_argument("--m", type=str, default="1e7,1e8")
    a = ap.parse_args()
    b, q, p = 7, 30, a.ranks
    print("| M | version | Z | §2 lists+softmax | graphs | §3 RAD | §4 vectors+k-means | peak per rank |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for ms in a.m.split(","):
        m = float(ms)
        n = a.omega * m
        for name, f in (("this (replicated data)", version1), ("next (row blocks)", version2)):
            r = f(m, a.d, b, q, p, n, a.candidates, a.k)
            print("| %s | %s | %s |" % (ms, name, " | ".join("%.1f GB" % (r[key] / GB)
                                                           for key in ("Z", "§2", "graphs", "§3", "§4", "peak"))))
    print()
    print("Received per rank, this version (R = %d masked products):" % (b * 24))
    print()
    print("| M | read | §2 lists | §3 RAD (all products) | §4 vectors |")
    print("| --- | --- | --- | --- | --- |")
    for ms in a.m.split(","):
        m = float(ms)
        t = traffic(m, a.d, b, q, p, a.omega * m, nev=a.k)
        print("| %s | %s |" % (ms, " | ".join("%.1f GB" % (t[key] / GB) for key in ("read", "§2", "§3", "§4"))))


if __name__ == "__main__":
    main()
