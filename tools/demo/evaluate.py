#!/usr/bin/env python3
"""Evaluate the shipped demo CLIP and teacher (the ONNX files) on freshly generated images.

    /usr/bin/python3 tools/demo/evaluate.py --seed 5 [--n 2000] [--json] [--no-story]

Runs onnxruntime when it is installed, else a small torch interpreter of the ONNX graphs
(tools/demo/onnx_torch.py). Prints, with the targets from the issue:
  zero-shot condition accuracy with class prompts "a photo of a {class}"   (>= 0.92)
  zero-shot part-type accuracy                                             (>= 0.90)
  mean / min AUROC of cos(image, "a photo of {attribute}")                 (>= 0.95 / >= 0.85)
  teacher accuracy in distribution (the biased 'val' split)                (>= 0.90)
  teacher accuracy on the shortcut-breaking 'test' split                   (a visible drop)
plus the MCM OOD AUROC (test vs ood), shifted-set numbers and the student story measured on the
committed demo project (public/demo). Exit status 1 if a target is missed.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import evalcore as ec  # noqa: E402
from data import generate_arrays  # noqa: E402
from scene import CONDITIONS  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=2000, help="images in the test and val sets (shifted/ood get n/2)")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--demo", default=os.path.join(ROOT, "public", "demo"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "public", "corpora", "inspection.txt"))
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--no-story", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    workers = args.workers or (os.cpu_count() or 1)
    enc = ec.OnnxEncoders(os.path.join(args.models, "demo-clip"), os.path.join(args.models, "demo-teacher", "teacher.onnx"))
    sets = {}
    for split, n in (("test", args.n), ("val", args.n), ("shifted", args.n // 2), ("ood", args.n // 2)):
        sets[split] = generate_arrays(args.seed, split, n, workers=workers)
    emb = {k: enc.images(a) for k, (a, _) in sets.items() if k != "val"}
    m = {"seed": args.seed, "backend": enc.backend, "n": {k: len(v[1]) for k, v in sets.items()}}
    m["clip_test"] = ec.clip_metrics(emb["test"], sets["test"][1], enc.texts)
    m["clip_shifted"] = {k: v for k, v in ec.clip_metrics(emb["shifted"], sets["shifted"][1], enc.texts).items() if k.startswith("zero_shot")}
    m["mcm_ood_auroc"] = ec.auroc(ec.mcm_scores(emb["test"], enc.texts, CONDITIONS), ec.mcm_scores(emb["ood"], enc.texts, CONDITIONS))
    m["teacher_in_distribution"] = ec.teacher_metrics(enc.teacher_logits(sets["val"][0]), sets["val"][1], CONDITIONS)
    m["teacher_shortcut_breaking"] = ec.teacher_metrics(enc.teacher_logits(sets["test"][0]), sets["test"][1], CONDITIONS)
    m["teacher_shifted"] = ec.teacher_metrics(enc.teacher_logits(sets["shifted"][0]), sets["shifted"][1], CONDITIONS)
    if not args.no_story and os.path.exists(os.path.join(args.demo, "dataset.json")):
        ds = json.load(open(os.path.join(args.demo, "dataset.json")))
        by = {}
        for r in ds["images"]:
            by.setdefault(r["set"], []).append(r)
        arr = {k: ec.load_image_arrays([os.path.join(args.demo, r["file"]) for r in by[k]]) for k in ("distill", "holdout")}
        m["story"] = ec.story(enc.texts, enc.images(arr["distill"]), by["distill"], enc.teacher_logits(arr["distill"]),
                              enc.images(arr["holdout"]), by["holdout"], enc.teacher_logits(arr["holdout"]),
                              ec.read_corpus(args.corpus), CONDITIONS)
    c = m["clip_test"]
    ti, ts = m["teacher_in_distribution"]["accuracy"], m["teacher_shortcut_breaking"]["accuracy"]
    checks = [
        ("zero-shot condition accuracy", c["zero_shot_condition_accuracy"], ">= 0.92", c["zero_shot_condition_accuracy"] >= 0.92),
        ("zero-shot part accuracy", c["zero_shot_part_accuracy"], ">= 0.90", c["zero_shot_part_accuracy"] >= 0.90),
        ("attribute AUROC mean", c["attribute_auroc_mean"], ">= 0.95", c["attribute_auroc_mean"] >= 0.95),
        ("attribute AUROC min", c["attribute_auroc_min"], ">= 0.85", c["attribute_auroc_min"] >= 0.85),
        ("teacher accuracy, in distribution", ti, ">= 0.90", ti >= 0.90),
        ("teacher accuracy, shortcut broken", ts, "< in-dist - 0.05", ts < ti - 0.05),
    ]
    m["checks"] = [{"name": n, "value": v, "target": t, "ok": bool(ok)} for n, v, t, ok in checks]
    m["seconds"] = round(time.time() - t0, 1)
    if args.json:
        print(json.dumps(m, indent=1))
    else:
        print(f"demo model evaluation, seed {args.seed}, backend {enc.backend}, sets {m['n']}")
        for n, v, t, ok in checks:
            print(f"  {'PASS' if ok else 'FAIL'}  {n:36s} {v:.4f}   (target {t})")
        print("  per-class zero-shot condition accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in c["zero_shot_condition_per_class"].items()))
        worst = sorted(c["attribute_auroc"].items(), key=lambda kv: kv[1])[:4]
        print("  lowest attribute AUROCs: " + ", ".join(f"{k} {v:.4f}" for k, v in worst))
        print(f"  teacher: dim & not rusty -> predicted rusty {m['teacher_shortcut_breaking'].get('dim_not_rusty_predicted_rusty', float('nan')):.3f}; "
              f"shifted-set accuracy {m['teacher_shifted']['accuracy']:.3f}")
        print(f"  CLIP on shifted set: condition {m['clip_shifted']['zero_shot_condition_accuracy']:.3f}, part {m['clip_shifted']['zero_shot_part_accuracy']:.3f}; "
              f"MCM OOD AUROC (test vs ood) {m['mcm_ood_auroc']:.3f}")
        st = m.get("story")
        if st and "before" in st:
            b, a = st["before"], st.get("after_ban", {})
            print(f"  story (public/demo, L1 student C={st['C']}): teacher holdout acc {st['teacher_holdout_accuracy']:.3f}; "
                  f"'dim light' weight for rusty {st.get('ban_concept_weight_for_rusty', float('nan')):.2f} (rank {st.get('ban_concept_rank_for_rusty')}); "
                  f"student holdout acc {b['holdout_accuracy']:.3f} -> {a.get('holdout_accuracy', float('nan')):.3f} after banning it "
                  f"(fidelity {b['holdout_fidelity']:.3f} -> {a.get('holdout_fidelity', float('nan')):.3f})")
        print(f"  ({m['seconds']} s)")
    sys.exit(0 if all(ok for *_, ok in checks) else 1)


if __name__ == "__main__":
    main()
