#!/usr/bin/env python3
"""Write a split of the procedural inspection-line data set as PNG files plus a JSON of attributes.

    /usr/bin/python3 tools/demo/generate.py --seed 7 --split test --out /tmp/test7 [--n 500] [--size 128]

Splits: test (unbiased: the shortcut is broken), val (the teacher's biased training
distribution), demo (the demo project's distillation distribution), holdout, shifted (night /
heavy haze / strong glare), ood (unseen part types and non-parts), train, clip. An image depends
only on (seed, split, index). Output: DIR/<split>-<index>.png and DIR/attributes.json:
{"seed", "split", "size", "classes", "images": [{"file", "index", "part", "material",
"condition", "lighting", "background", "marks", "ood", "caption"}]}. Images are drawn at 128 px;
--size 64 stores them already resized as the model sees them (PIL bicubic).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import SPLIT_IDS, make_item  # noqa: E402
from scene import CONDITIONS, to_model_size  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--split", default="test", choices=sorted(SPLIT_IDS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--size", type=int, default=128, choices=[64, 128])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for i in range(args.n):
        a, img = make_item(args.seed, args.split, i)
        if args.size == 64:
            img = to_model_size(img)
        name = f"{args.split}-{i:05d}.png"
        img.save(os.path.join(args.out, name), optimize=False)
        rows.append({"file": name, "index": i, "part": a["part"], "material": a.get("material"),
                     "condition": a.get("condition"), "lighting": a["lighting"], "background": a["background"],
                     "marks": a.get("marks", []), "ood": bool(a.get("ood", False)), "caption": a["caption"]})
    with open(os.path.join(args.out, "attributes.json"), "w", encoding="utf-8") as f:
        json.dump({"seed": args.seed, "split": args.split, "size": args.size, "classes": CONDITIONS, "images": rows}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(rows)} images to {args.out}")


if __name__ == "__main__":
    main()
