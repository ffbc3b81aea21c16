"""Shared evaluation code: preprocessing (CLIPImageProcessor's), encoders, metrics, the story."""
from __future__ import annotations

import json
import os

import numpy as np

from scene import BACKGROUNDS, CONDITIONS, LIGHTINGS, MARKS, MATERIALS, PARTS

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)
TEMPLATE = "a photo of {}"
CLASS_TEMPLATE = "a photo of a {}"

# The text used for each ground-truth attribute value in the AUROC check.
ATTRIBUTE_PHRASES = {}
for _p in PARTS:
    ATTRIBUTE_PHRASES[("part", _p)] = _p
for _m in MATERIALS:
    ATTRIBUTE_PHRASES[("material", _m)] = _m
for _c in CONDITIONS:
    ATTRIBUTE_PHRASES[("condition", _c)] = _c
for _l in LIGHTINGS:
    ATTRIBUTE_PHRASES[("lighting", _l)] = {"bright": "bright light", "dim": "dim light"}.get(_l, _l)
for _b in BACKGROUNDS:
    ATTRIBUTE_PHRASES[("background", _b)] = _b
for _k in MARKS:
    ATTRIBUTE_PHRASES[("marks", _k)] = _k


def preprocess_arrays(arr_uint8: np.ndarray) -> np.ndarray:
    """uint8 [N,64,64,3] (already at model size) -> float32 [N,3,64,64], CLIP-normalised."""
    x = arr_uint8.astype(np.float32) * (1.0 / 255.0)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def load_image_arrays(paths, size=64) -> np.ndarray:
    """What CLIPImageProcessor does: RGB, bicubic resize of the shortest edge, centre crop."""
    from PIL import Image
    out = []
    for p in paths:
        im = Image.open(p).convert("RGB")
        w, h = im.size
        s = size / min(w, h)
        nw, nh = max(size, round(w * s)), max(size, round(h * s))
        if (nw, nh) != (w, h):
            im = im.resize((nw, nh), Image.BICUBIC)
        left, top = (nw - size) // 2, (nh - size) // 2
        im = im.crop((left, top, left + size, top + size))
        out.append(np.asarray(im, dtype=np.uint8))
    return np.stack(out)


def load_tokenizer(model_dir):
    from model import WordTokenizer, SPECIALS
    tj = json.load(open(os.path.join(model_dir, "tokenizer.json")))
    vocab = tj["model"]["vocab"]
    words = [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    tok = WordTokenizer([w for w in words if w not in SPECIALS])
    assert tok.vocab == words, "tokenizer.json vocabulary order differs from WordTokenizer's"
    return tok


class OnnxEncoders:
    """Runs the shipped ONNX towers: onnxruntime when installed, else a small torch interpreter."""

    def __init__(self, model_dir, teacher_path=None):
        self.tok = load_tokenizer(model_dir)
        self.backend = None
        try:
            import onnxruntime as ort  # noqa: F401
            self.backend = "onnxruntime"
            mk = lambda p: ort.InferenceSession(p, providers=["CPUExecutionProvider"])
        except Exception:
            from onnx_torch import TorchOnnx
            self.backend = "torch-onnx-interpreter"
            mk = TorchOnnx
        self.vision = mk(os.path.join(model_dir, "onnx", "vision_model.onnx"))
        self.text = mk(os.path.join(model_dir, "onnx", "text_model.onnx"))
        self.teacher = mk(teacher_path) if teacher_path else None

    def _run(self, sess, feeds):
        return sess.run(None, feeds)[0]

    def images(self, arr_uint8, batch=256):
        x = preprocess_arrays(arr_uint8)
        return np.concatenate([self._run(self.vision, {"pixel_values": x[i:i + batch]}) for i in range(0, len(x), batch)])

    def texts(self, texts):
        ids, mask = self.tok.batch(texts)
        return self._run(self.text, {"input_ids": ids.numpy().astype(np.int64), "attention_mask": mask.numpy().astype(np.int64)})

    def teacher_logits(self, arr_uint8, batch=256):
        x = preprocess_arrays(arr_uint8)
        return np.concatenate([self._run(self.teacher, {"pixel_values": x[i:i + batch]}) for i in range(0, len(x), batch)])


def l2n(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def auroc(pos_scores, neg_scores):
    """AUROC with ties counted 1/2 (Mann-Whitney)."""
    pos = np.asarray(pos_scores, np.float64)
    neg = np.asarray(neg_scores, np.float64)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sv = allv[order]
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    rp = ranks[: len(pos)].sum()
    return float((rp - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def has_attr(a, field, value):
    if field == "marks":
        return value in a.get("marks", [])
    return a.get(field) == value


def clip_metrics(img_emb, attrs, text_fn):
    """Zero-shot condition/part accuracy with class prompts and per-attribute AUROCs."""
    img_emb = l2n(img_emb)
    res = {}
    for field, classes in (("condition", CONDITIONS), ("part", PARTS)):
        t = l2n(text_fn([CLASS_TEMPLATE.format(c) for c in classes]))
        pred = (img_emb @ t.T).argmax(1)
        truth = np.array([classes.index(a[field]) for a in attrs])
        res[f"zero_shot_{field}_accuracy"] = float((pred == truth).mean())
        per = {}
        for k, c in enumerate(classes):
            sel = truth == k
            per[c] = float((pred[sel] == k).mean()) if sel.any() else float("nan")
        res[f"zero_shot_{field}_per_class"] = per
    keys = list(ATTRIBUTE_PHRASES)
    t = l2n(text_fn([TEMPLATE.format(ATTRIBUTE_PHRASES[k]) for k in keys]))
    sims = img_emb @ t.T
    aur = {}
    for j, (field, value) in enumerate(keys):
        m = np.array([has_attr(a, field, value) for a in attrs])
        aur[f"{field}={value}"] = auroc(sims[m, j], sims[~m, j])
    vals = [v for v in aur.values() if v == v]
    res["attribute_auroc"] = aur
    res["attribute_auroc_mean"] = float(np.mean(vals))
    res["attribute_auroc_min"] = float(np.min(vals))
    return res


def teacher_metrics(logits, attrs, labels):
    pred = logits.argmax(1)
    truth = np.array([labels.index(a["condition"]) for a in attrs])
    res = {"accuracy": float((pred == truth).mean()), "n": int(len(truth))}
    dim = np.array([a["lighting"] == "dim" for a in attrs])
    rusty = labels.index("rusty")
    nr = dim & (truth != rusty)
    if nr.any():
        res["dim_not_rusty_predicted_rusty"] = float((pred[nr] == rusty).mean())
        res["dim_not_rusty_n"] = int(nr.sum())
    nd = ~dim
    res["accuracy_not_dim"] = float((pred[nd] == truth[nd]).mean()) if nd.any() else float("nan")
    res["accuracy_dim"] = float((pred[dim] == truth[dim]).mean()) if dim.any() else None  # JSON has no NaN: "no such images" is null
    return res


def mcm_scores(img_emb, text_fn, classes, tau=1.0):
    t = l2n(text_fn([CLASS_TEMPLATE.format(c) for c in classes]))
    s = l2n(img_emb) @ t.T / tau
    s = s - s.max(1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(1, keepdims=True)
    return p.max(1)


# ----------------------------------------------------------------------------- the story

def read_corpus(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        c, _, cat = line.partition("\t")
        out.append((c.strip(), cat.strip()))
    return out


def story(enc_texts, img_distill, attrs_distill, teacher_distill, img_hold, attrs_hold, teacher_hold,
          corpus, classes, ban_concept="dim light", C=0.1, near_copy=0.85, merge=0.9):
    """Prototype of the studio's student (sklearn L1 one-vs-rest logistic regression on
    standardised a_ij = max(0, cos(image, "a photo of {concept}"))), fitted to the teacher's labels
    on the biased distillation split, evaluated on the shortcut-breaking held-out split, before
    and after banning `ban_concept` (and, separately, every kept concept of the same lighting)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    names = [c for c, _ in corpus]
    cats = [k for _, k in corpus]
    T = l2n(enc_texts([TEMPLATE.format(c) for c in names]))
    Tc = l2n(enc_texts([CLASS_TEMPLATE.format(c) for c in classes]))
    dropped = {}
    near = (T @ Tc.T).max(1)
    keep = []
    for j in range(len(names)):
        if near[j] > near_copy:
            dropped[names[j]] = f"near-copy of a class name (cos {near[j]:.3f})"
            continue
        dup = [k for k in keep if float(T[j] @ T[k]) > merge]
        if dup:
            dropped[names[j]] = f"merged into '{names[dup[0]]}' (cos {float(T[j] @ T[dup[0]]):.3f})"
            continue
        keep.append(j)
    if len(keep) < 5:  # degenerate text tower (e.g. a smoke build): skip hygiene
        keep, dropped = list(range(len(names))), {}
    A_d = np.maximum(0, l2n(img_distill) @ T[keep].T)
    A_h = np.maximum(0, l2n(img_hold) @ T[keep].T)
    top5 = np.sort(A_d, 0)[-5:].mean(0)
    cut = np.percentile(top5, 10)
    keep2 = [k for i, k in enumerate(keep) if top5[i] >= cut]
    for i, k in enumerate(keep):
        if top5[i] < cut:
            dropped[names[k]] = f"never fires (top-5 mean {top5[i]:.3f} < {cut:.3f})"
    cols = [keep.index(k) for k in keep2]
    A_d, A_h = A_d[:, cols], A_h[:, cols]
    kept_names = [names[k] for k in keep2]
    mu, sd = A_d.mean(0), np.maximum(A_d.std(0), 1e-6)
    Z_d, Z_h = (A_d - mu) / sd, (A_h - mu) / sd
    y_t = teacher_distill.argmax(1)
    truth_h = np.array([classes.index(a["condition"]) for a in attrs_hold])
    truth_d = np.array([classes.index(a["condition"]) for a in attrs_distill])
    t_h = teacher_hold.argmax(1)
    rusty = classes.index("rusty")

    def fit(banned):
        cols = [j for j, n in enumerate(kept_names) if n not in banned]
        clf = OneVsRestClassifier(LogisticRegression(penalty="l1", solver="liblinear", C=C, max_iter=2000))
        clf.fit(Z_d[:, cols], y_t)
        W = np.zeros((len(classes), len(kept_names)))
        ests = clf.estimators_
        for r, c in enumerate(clf.classes_):
            if len(clf.classes_) > 2:
                W[c, cols] = ests[r].coef_[0]
            else:
                W[c, cols] = (1 if r == 1 else -1) * ests[0].coef_[0]
        ph = clf.predict(Z_h[:, cols])
        pd = clf.predict(Z_d[:, cols])
        dim = np.array([a["lighting"] == "dim" for a in attrs_hold])
        r = {"holdout_accuracy": float((ph == truth_h).mean()), "holdout_fidelity": float((ph == t_h).mean()),
             "distill_fidelity": float((pd == y_t).mean()), "distill_accuracy": float((pd == truth_d).mean()),
             "holdout_dim_not_rusty_predicted_rusty": float((ph[dim & (truth_h != rusty)] == rusty).mean()),
             "nonzero_weights": int((np.abs(W) > 1e-9).sum())}
        order = np.argsort(-W[rusty])
        r["top_rusty_weights"] = [[kept_names[j], round(float(W[rusty, j]), 4)] for j in order[:6]]
        return r, W

    if len(set(y_t.tolist())) < 2:
        return {"note": "the teacher predicts a single class on the distillation split; no student fitted"}
    before, W = fit(set())
    dim_like = [n for n, c in zip(kept_names, [cats[names.index(n)] for n in kept_names])
                if c == "lighting" and float(T[names.index(n)] @ T[names.index(ban_concept)]) > 0.7] if ban_concept in names else []
    res = {"C": C, "n_distill": len(y_t), "n_holdout": len(truth_h), "concepts_total": len(names),
           "concepts_kept": len(kept_names), "dropped": dropped,
           "teacher_holdout_accuracy": float((t_h == truth_h).mean()),
           "teacher_distill_accuracy": float((y_t == truth_d).mean()),
           "before": before}
    if ban_concept in kept_names:
        j = kept_names.index(ban_concept)
        res["ban_concept"] = ban_concept
        res["ban_concept_weight_for_rusty"] = float(W[rusty, j])
        res["ban_concept_rank_for_rusty"] = int((W[rusty] > W[rusty, j]).sum()) + 1
        res["after_ban"] = fit({ban_concept})[0]
        res["dim_like_concepts"] = dim_like
        res["after_ban_all_dim_like"] = fit(set(dim_like))[0]
    else:
        res["ban_concept"] = ban_concept
        res["note"] = f"'{ban_concept}' was dropped by hygiene: {dropped.get(ban_concept)}"
    return res
