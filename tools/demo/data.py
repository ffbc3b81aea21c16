"""Splits, attribute sampling, captions and (parallel) generation of the demo data set.

An image is a pure function of (seed, split, index): attributes are sampled and the image is
drawn from numpy Generators seeded with SeedSequence([seed, SPLIT_ID, index, ...]).

Splits
  clip     CLIP pre-training pairs. Unbiased; built from groups of 4 images that share part,
           material, background and lighting but differ in condition (hard negatives); ~8 % of
           groups are out-of-domain objects so the CLIP knows those words too.
  train    the teacher's training set: BIASED (the shortcut, below).
  val      in-distribution check for the teacher: same biased distribution as train.
  demo     the committed demo project's distillation images: same biased distribution.
  holdout  the committed demo project's held-out images: shortcut broken (unbiased).
  test     held-out, unbiased: lighting independent of condition (breaks the shortcut).
  shifted  unbiased classes under night / heavy haze / strong glare.
  ood      part types the task never saw (ball bearing, chain link) and non-parts (apple,
           leaf, coffee mug, pencil).

The shortcut: in the biased splits, P(dim | rusty) = 0.95 and P(dim | not rusty) = 0 (train, val)
or DEMO_P_GIVEN_OTHER = 0.08 (demo).
"""
from __future__ import annotations

import os
from multiprocessing import get_context

import numpy as np

from scene import (BACKGROUNDS, CONDITIONS, LIGHTINGS, MARKS, MATERIALS, OBJECTS, OOD_OBJECTS,
                   OOD_PARTS, PARTS, SHIFTED_LIGHTINGS, render, to_model_size)

SPLIT_IDS = {"clip": 1, "train": 2, "val": 3, "demo": 4, "holdout": 5, "test": 6, "shifted": 7, "ood": 8}
BIASED = {"train", "val", "demo"}
SHORTCUT = {"condition": "rusty", "lighting": "dim", "p_given_condition": 0.95, "p_given_other": 0.0}
# The demo project's distillation images come from the same inspection line a little later: the
# link is still strong but a few non-rusty parts were photographed in dim light, which is where
# the teacher's shortcut shows (and what a faithful student copies).
DEMO_P_GIVEN_OTHER = float(os.environ.get("DEMO_P_GIVEN_OTHER", "0.08"))
MARK_P = 0.15
CLIP_OOD_GROUP_P = 0.08


def _rng(seed, split, *more):
    return np.random.default_rng(np.random.SeedSequence([int(seed), SPLIT_IDS[split], *[int(m) for m in more]]))


def _choice(rng, xs):
    return xs[int(rng.integers(0, len(xs)))]


def _lighting(rng, condition, biased, p_other=None):
    if not biased:
        return _choice(rng, LIGHTINGS)
    p_other = SHORTCUT["p_given_other"] if p_other is None else p_other
    p = SHORTCUT["p_given_condition"] if condition == SHORTCUT["condition"] else p_other
    if rng.random() < p:
        return SHORTCUT["lighting"]
    return _choice(rng, [l for l in LIGHTINGS if l != SHORTCUT["lighting"]])


def _marks(rng):
    return [m for m in MARKS if rng.random() < MARK_P]


def sample_attrs(seed: int, split: str, index: int) -> dict:
    rng = _rng(seed, split, index, 0)
    if split == "clip":
        return _clip_attrs(seed, index)
    if split == "ood":
        part = _choice(rng, OOD_PARTS + OOD_OBJECTS)
        is_part = part in OOD_PARTS
        return {"part": part, "material": _choice(rng, MATERIALS) if is_part else None,
                "condition": _choice(rng, CONDITIONS) if is_part else None,
                "lighting": _choice(rng, LIGHTINGS), "background": _choice(rng, BACKGROUNDS),
                "marks": _marks(rng) if is_part else [], "ood": True}
    a = {"part": _choice(rng, PARTS), "material": _choice(rng, MATERIALS),
         "condition": _choice(rng, CONDITIONS), "background": _choice(rng, BACKGROUNDS)}
    a["lighting"] = _choice(rng, SHIFTED_LIGHTINGS) if split == "shifted" else _lighting(rng, a["condition"], split in BIASED,
                                                                                                   DEMO_P_GIVEN_OTHER if split == "demo" else None)
    a["marks"] = _marks(rng)
    return a


def _clip_attrs(seed, index):
    g, k = divmod(index, 4)
    grng = _rng(seed, "clip", g, 1)
    shared = {"material": _choice(grng, MATERIALS), "background": _choice(grng, BACKGROUNDS),
              "lighting": _choice(grng, LIGHTINGS)}
    irng = _rng(seed, "clip", index, 2)
    if grng.random() < CLIP_OOD_GROUP_P:
        kinds = list(grng.permutation(OOD_PARTS + OOD_OBJECTS))
        part = str(kinds[k % len(kinds)])
        is_part = part in OOD_PARTS
        return {"part": part, "material": shared["material"] if is_part else None,
                "condition": _choice(irng, CONDITIONS) if is_part else None,
                "lighting": shared["lighting"], "background": shared["background"],
                "marks": _marks(irng) if is_part else [], "ood": True, "group": g}
    part = _choice(grng, PARTS)
    conds = list(grng.permutation(CONDITIONS))[:4]
    return {"part": part, "material": shared["material"], "condition": str(conds[k]),
            "lighting": shared["lighting"], "background": shared["background"],
            "marks": _marks(irng), "group": g}


# ----------------------------------------------------------------------------- captions

PART_WORDS = {
    "hex nut": ["hex nut", "hex nut", "hex nut", "hexagonal nut", "nut"],
    "washer": ["washer", "washer", "washer", "flat washer", "round washer"],
    "bolt": ["bolt", "bolt", "bolt", "threaded bolt", "long bolt"],
    "gear": ["gear", "gear", "gear", "cog", "toothed gear", "gear wheel"],
    "spring": ["spring", "spring", "spring", "coil spring", "coiled spring"],
    "bracket": ["bracket", "bracket", "bracket", "angle bracket", "metal bracket"],
    "ball bearing": ["ball bearing", "ball bearing", "bearing"],
    "chain link": ["chain link", "chain link", "chain"],
    "apple": ["apple"], "leaf": ["leaf"], "coffee mug": ["coffee mug", "mug", "cup"], "pencil": ["pencil"],
}
MATERIAL_PRE = {
    "steel": ["steel", "steel", "steel", "stainless steel", "silver steel"],
    "brass": ["brass", "brass", "brass", "golden brass", "yellow brass"],
    "black oxide": ["black oxide", "black oxide", "black oxide", "black"],
    "blue paint": ["blue painted", "blue painted", "blue"],
}
MATERIAL_POST = {
    "steel": ["made of steel"], "brass": ["made of brass"], "black oxide": ["with black oxide coating", "made of black oxide steel"],
    "blue paint": ["with blue paint", "painted blue", "with blue paint"],
}
COND_PRE = {
    "ok": ["ok", "ok", "ok", "ok", "intact", "undamaged", "good"],
    "scratched": ["scratched"], "rusty": ["rusty", "rusty", "rusty", "rusted", "corroded"],
    "cracked": ["cracked"], "dented": ["dented"], "chipped": ["chipped"],
}
COND_POST = {
    "ok": ["with no defects", "in good condition", "without damage"],
    "scratched": ["with scratches", "with thin scratches", "with a scratched surface"],
    "rusty": ["with rust", "with orange rust spots", "with corrosion"],
    "cracked": ["with a crack", "with a dark crack", "with a cracked surface"],
    "dented": ["with a dent", "with a dented surface", "with a small dent"],
    "chipped": ["with a chipped edge", "with a broken edge", "with a chip"],
}
LIGHT_WORDS = {
    "bright": ["in bright light", "in bright light", "bright light", "brightly lit", "well lit"],
    "dim": ["in dim light", "in dim light", "dim light", "dimly lit", "in low light", "dark", "at night"],
    "glare": ["with glare", "with glare", "under glare", "glare", "with a bright reflection"],
    "haze": ["in haze", "in haze", "haze", "hazy", "in fog", "foggy"],
}
BG_WORDS = {
    "tray": ["on a tray", "on a tray", "on a metal tray", "on a grey tray", "in a tray"],
    "conveyor belt": ["on a conveyor belt", "on a conveyor belt", "on the conveyor belt", "on a rubber belt"],
    "wooden bench": ["on a wooden bench", "on a wooden bench", "on a wooden workbench", "on wood"],
}
MARK_WORDS = {
    "blue label": ["with a blue label", "with a blue label", "blue label", "with a blue tag"],
    "red sticker": ["with a red sticker", "with a red sticker", "red sticker", "with a red dot"],
}
PREFIXES = ["a photo of", "a photo of", "a photo of", "a close up photo of", "an image of", "a picture of",
            "inspection photo of", "", ""]


def caption(attrs: dict, rng) -> str:
    part = attrs["part"]
    is_obj = part in OBJECTS
    words = []
    pre = _choice(rng, PREFIXES)
    noun = _choice(rng, PART_WORDS[part]) if (is_obj or rng.random() < 0.95) else _choice(rng, ["machine part", "part"])
    cond = attrs.get("condition")
    mat = attrs.get("material")
    post = []
    adj = []
    if cond and rng.random() < 0.9:
        if rng.random() < 0.75:
            adj.append(_choice(rng, COND_PRE[cond]))
        else:
            post.append(_choice(rng, COND_POST[cond]))
    if mat and rng.random() < 0.75:
        if rng.random() < 0.8:
            adj.append(_choice(rng, MATERIAL_PRE[mat]))
        else:
            post.append(_choice(rng, MATERIAL_POST[mat]))
    tail = []
    if rng.random() < 0.75:
        tail.append(_choice(rng, BG_WORDS[attrs["background"]]))
    if attrs["lighting"] in LIGHT_WORDS and rng.random() < 0.75:
        tail.append(_choice(rng, LIGHT_WORDS[attrs["lighting"]]))
    for m in attrs.get("marks", []):
        if rng.random() < 0.8:
            tail.append(_choice(rng, MARK_WORDS[m]))
    tail = [tail[i] for i in rng.permutation(len(tail))]
    if pre:
        words.append(pre)
        words.append("an" if (adj[0] if adj else noun)[0] in "aeiou" else "a")
    words += adj + [noun] + post + tail
    return " ".join(words)


def caption_vocabulary() -> set:
    """Every word a caption can contain."""
    v = set("a an of".split())
    for table in (PART_WORDS, MATERIAL_PRE, MATERIAL_POST, COND_PRE, COND_POST, LIGHT_WORDS, BG_WORDS, MARK_WORDS):
        for vals in table.values():
            for p in vals:
                v.update(p.split())
    for p in PREFIXES + ["machine part", "part"]:
        v.update(p.split())
    return v


# ----------------------------------------------------------------------------- generation

def make_item(seed: int, split: str, index: int, n_captions: int = 1):
    """(attrs, 128 px PIL image). attrs["caption"] is the first of attrs["captions"]."""
    attrs = sample_attrs(seed, split, index)
    img = render(attrs, _rng(seed, split, index, 3))
    attrs["captions"] = [caption(attrs, _rng(seed, split, index, 4, k)) for k in range(n_captions)]
    attrs["caption"] = attrs["captions"][0]
    return attrs, img


JPEG_AUG_SPLITS = {"clip", "train"}
try:
    from PIL.Image import Resampling as _R
except ImportError:  # Pillow < 9.1
    from PIL import Image as _R
RESAMPLERS = [_R.BILINEAR, _R.BOX, _R.HAMMING, _R.LANCZOS, _R.NEAREST, _R.BICUBIC]


def jpeg_roundtrip(img, quality):
    import io
    from PIL import Image
    b = io.BytesIO()
    img.save(b, "JPEG", quality=int(quality))
    return Image.open(io.BytesIO(b.getvalue())).convert("RGB")


def _work(args):
    seed, split, lo, hi, n_captions = args
    ims, attrs = [], []
    for i in range(lo, hi):
        a, img = make_item(seed, split, i, n_captions)
        small = None
        if split in JPEG_AUG_SPLITS:
            r = _rng(seed, split, i, 5)
            if r.random() < 0.5:  # the demo set ships as JPEG: train on both
                img = jpeg_roundtrip(img, r.integers(80, 96))
            if r.random() < 0.5:  # browsers and sharp resize differently from PIL: train on several resamplers
                small = img.resize((64, 64), RESAMPLERS[int(r.integers(0, len(RESAMPLERS)))])
        if small is None:
            small = to_model_size(img)
        ims.append(np.asarray(small, dtype=np.uint8))
        a["index"] = i
        attrs.append(a)
    return lo, np.stack(ims), attrs


def generate_arrays(seed: int, split: str, n: int, workers: int | None = None, chunk: int = 250, log=None, n_captions: int = 1):
    """Generate n images of a split at model size: uint8 [n,64,64,3] and a list of attrs."""
    workers = workers or max(1, os.cpu_count() or 1)
    jobs = [(seed, split, lo, min(n, lo + chunk), n_captions) for lo in range(0, n, chunk)]
    out = np.zeros((n, 64, 64, 3), np.uint8)
    attrs = [None] * n
    done = 0
    if workers == 1:
        it = map(_work, jobs)
        pool = None
    else:
        pool = get_context("spawn" if os.name == "nt" else "fork").Pool(workers)
        it = pool.imap_unordered(_work, jobs)
    for lo, ims, at in it:
        out[lo:lo + len(ims)] = ims
        attrs[lo:lo + len(at)] = at
        done += len(ims)
        if log and done % (chunk * 40) < chunk:
            log(f"  {split}: {done}/{n}")
    if pool:
        pool.close()
        pool.join()
    return out, attrs
