#!/usr/bin/env python3
"""Rebuild the demo data set, the teacher and the demo CLIP from a seed.

    /usr/bin/python3 tools/demo/build.py --seed 0                 # 2-core CPU, ~35-40 min
    python3 tools/demo/build.py --seed 0 --device cuda            # GPU profile (bigger data)

Writes models/demo-clip/ (Hugging Face / transformers.js layout), models/demo-teacher/,
public/demo/ (images + dataset.json + labels.csv), tools/demo/reference.json and
models/demo-clip/manifest.json (seed, sha256 of every output, metrics). Big intermediate data
lives in tools/demo/.cache/ (git-ignored through .git/info/exclude).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import evalcore as ec  # noqa: E402
from data import SHORTCUT, caption_vocabulary, generate_arrays, make_item  # noqa: E402
from model import (EMBED_DIM, IMAGE_MEAN, IMAGE_STD, LEX_DIM, LEX_WEIGHT, MAX_LEN, SPECIALS, DemoCLIP, Teacher,  # noqa: E402
                   TextExport, VisionExport, WordTokenizer, count_params, lexical_table)
from scene import (BACKGROUNDS, CONDITIONS, LIGHTINGS, MARKS, MATERIALS, OOD_OBJECTS, OOD_PARTS,  # noqa: E402
                   PARTS, SHIFTED_LIGHTINGS)

PROFILES = {
    # n_*: images per split; clip_epochs over n_clip; budgets in minutes cap training time.
    # cpu: bfloat16 autocast where the CPU has AMX / AVX-512 BF16 (2.3x the images per second of float32
    # here), batches of 128 (32 hard-negative groups), mean+max pooling and auxiliary attribute heads
    # (see train_clip): zero-shot condition accuracy went from 46 % (9 epochs, float32, batch 256,
    # mean pooling, no heads) to the manifest's figure.
    "cpu": dict(n_clip=32000, clip_epochs=24, clip_budget=26, n_train=16000, teacher_epochs=36, n_val=1500,
                n_test=2000, n_shifted=1000, n_ood=1000, batch=256, clip_lr=1.5e-3, teacher_lr=3e-3,
                clip_batch=128, clip_pool="meanmax", clip_aux=1.0, cpu_bf16="auto"),
    "gpu": dict(n_clip=140000, clip_epochs=20, clip_budget=3.2, n_train=40000, teacher_epochs=12, n_val=3000,
                n_test=3000, n_shifted=1500, n_ood=1500, batch=256, clip_lr=2e-3, teacher_lr=3e-3),
    "smoke": dict(n_clip=2000, clip_epochs=3, clip_budget=2, n_train=1000, teacher_epochs=1, n_val=200,
                  n_test=300, n_shifted=100, n_ood=100, batch=128, clip_lr=2e-3, teacher_lr=3e-3),
}
# Committed demo content: distillation split (biased) + held-out split (shortcut broken) and
# small extra sets.
DEMO_SETS = {"demo": 720, "holdout": 300, "test": 150, "shifted": 150, "ood": 150}
DEMO_SET_NAMES = {"demo": "distill", "holdout": "holdout", "test": "test", "shifted": "shifted", "ood": "ood"}
EXTRA_WORDS = ["photo", "taken", "at", "night", "in", "fog", "the", "rain", "low", "-", "light", "sketch", ",", "."]
N_CAPTIONS = 4

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def json_safe(obj):
    """NaN/inf (a metric over an empty subset) become null: JSON has no such numbers."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dump(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(json_safe(obj), f, indent=1, ensure_ascii=False, allow_nan=False)
        f.write("\n")


# ----------------------------------------------------------------------------- data

def cached_split(cache, seed, split, n, workers, n_captions=1):
    base = os.path.join(cache, f"{split}_s{seed}_n{n}_c{n_captions}_p{SHORTCUT['p_given_other']}")
    if os.path.exists(base + ".npy") and os.path.exists(base + ".json"):
        return np.load(base + ".npy"), json.load(open(base + ".json"))
    t = time.time()
    arr, attrs = generate_arrays(seed, split, n, workers=workers, log=log, n_captions=n_captions)
    os.makedirs(cache, exist_ok=True)
    np.save(base + ".npy", arr)
    json.dump(attrs, open(base + ".json", "w"))
    log(f"generated {split}: {n} images in {time.time() - t:.1f}s")
    return arr, attrs


def to_batch(arr_u8, idx, device, aug, gen=None, channels_last=True):
    x = arr_u8[idx].to(device, non_blocking=True)
    x = x.permute(0, 3, 1, 2).float().mul_(1 / 255.0)
    mean = torch.tensor(IMAGE_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGE_STD, device=device).view(1, 3, 1, 1)
    x = (x - mean) / std
    if aug:
        B = x.shape[0]
        k = torch.randint(0, 4, (B,), generator=gen).to(device)
        out = x.clone()
        for r in (1, 2, 3):
            sel = k == r
            if sel.any():
                out[sel] = torch.rot90(x[sel], r, (2, 3))
        flip = (torch.rand(B, generator=gen) < 0.5).to(device)
        if flip.any():
            out[flip] = out[flip].flip(3)
        x = out
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def param_groups(model, wd):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() >= 2 and "emb" not in n else no_decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def cosine_lr(step, total, base, warm=200):
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))


# ----------------------------------------------------------------------------- teacher

def train_teacher(arr, attrs, cfg, device, seed):
    torch.manual_seed(seed + 11)
    gen = torch.Generator().manual_seed(seed + 12)
    y = torch.tensor([CONDITIONS.index(a["condition"]) for a in attrs])
    X = torch.from_numpy(arr)
    if device.type == "cuda":
        X, y = X.to(device), y.to(device)
    model = Teacher(len(CONDITIONS)).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(param_groups(model, 5e-4), lr=cfg["teacher_lr"])
    B = cfg["batch"]
    steps_per = len(X) // B
    total = steps_per * cfg["teacher_epochs"]
    step = 0
    model.train()
    for ep in range(cfg["teacher_epochs"]):
        perm = torch.randperm(len(X), generator=gen)
        tl, tc = 0.0, 0
        for s in range(steps_per):
            idx = perm[s * B:(s + 1) * B]
            if device.type == "cuda":
                idx = idx.to(device)
            x = to_batch(X, idx, device, True, gen)
            for g in opt.param_groups:
                g["lr"] = cosine_lr(step, total, cfg["teacher_lr"], warm=100)
            with autocast(device, cfg.get("cpu_bf16", False)):
                out = model(x)
            loss = F.cross_entropy(out.float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            tl += float(loss.detach()) * len(idx)
            tc += int((out.argmax(1) == y[idx]).sum())
        log(f"teacher epoch {ep + 1}/{cfg['teacher_epochs']}: loss {tl / (steps_per * B):.4f} acc {tc / (steps_per * B):.4f}")
    model.eval()
    return model


def autocast(device, cpu_bf16=False):
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    if cpu_bf16:
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return _Null()


def cpu_has_fast_bf16():
    """bfloat16 autocast pays off on CPUs with AMX or AVX-512 BF16 (oneDNN uses them); elsewhere it is
    emulated and slower than float32. Measured on this project's 2-core machine (AMX): a training step
    of the demo CLIP's image tower 2-3x faster than float32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


# ----------------------------------------------------------------------------- CLIP

def train_clip(arr, attrs, tok, cfg, device, seed, eval_fn=None):
    torch.manual_seed(seed + 21)
    gen = torch.Generator().manual_seed(seed + 22)
    N = (len(arr) // 4) * 4
    caps = np.zeros((N, N_CAPTIONS, MAX_LEN), np.int64)
    lens = np.zeros((N, N_CAPTIONS), np.int64)
    seen = set()
    for i in range(N):
        for k, c in enumerate(attrs[i]["captions"]):
            e = tok.encode(c)
            caps[i, k, :len(e)] = e
            lens[i, k] = len(e)
            seen.update(e)
    X = torch.from_numpy(arr[:N])
    caps_t = torch.from_numpy(caps)
    lens_t = torch.from_numpy(lens)
    if device.type == "cuda":
        X, caps_t, lens_t = X.to(device), caps_t.to(device), lens_t.to(device)
    model = DemoCLIP(len(tok.vocab), pool=cfg.get("clip_pool", "mean")).to(device)
    model.vision.to(memory_format=torch.channels_last)
    # Optional auxiliary heads: linear classifiers of the generator's ground-truth attributes on the
    # vision tower's pooled features, trained alongside the contrastive loss (weight cfg["clip_aux"]).
    # They give the small tower a direct signal for subtle defects, which contrastive learning alone
    # picks up slowly; the heads are dropped after training (the exported model is a plain CLIP).
    aux_w = float(cfg.get("clip_aux", 0.0))
    aux_fields = [("condition", CONDITIONS), ("part", PARTS), ("material", MATERIALS), ("lighting", LIGHTINGS),
                  ("background", BACKGROUNDS)]
    heads, aux_y = None, {}
    if aux_w > 0:
        heads = torch.nn.ModuleDict({f: torch.nn.Linear(model.vision.proj.in_features, len(v)) for f, v in aux_fields}).to(device)
        for f, vals in aux_fields:
            aux_y[f] = torch.tensor([vals.index(a[f]) if a.get(f) in vals else -100 for a in attrs[:N]], device=device)
    log(f"CLIP: vision {count_params(model.vision):,} params, text {count_params(model.text):,} params, vocab {len(tok.vocab)}")
    groups_ = param_groups(model, 0.05) + ([{"params": list(heads.parameters()), "weight_decay": 0.0}] if heads is not None else [])
    opt = torch.optim.AdamW(groups_, lr=cfg["clip_lr"])
    B = cfg.get("clip_batch", cfg["batch"])
    G = B // 4
    groups = N // 4
    steps_per = groups // G
    total = steps_per * cfg["clip_epochs"]
    budget = cfg["clip_budget"] * 60
    t0 = time.time()
    step = 0
    stopped_early = False
    ar = torch.arange(4, device=device)
    labels = torch.arange(B, device=device)
    model.train()
    for ep in range(cfg["clip_epochs"]):
        perm = torch.randperm(groups, generator=gen)
        tl = 0.0
        for s in range(steps_per):
            if step == 30:
                # fit the whole cosine schedule into the time budget (matters on a 2-core CPU only)
                rate = step / max(1e-6, time.time() - t0)
                allowed = int(budget * rate * 0.97)
                if allowed < total:
                    log(f"CLIP: {rate * B:.0f} img/s; shortening the schedule from {total} to {allowed} steps to fit {cfg['clip_budget']} min")
                    total = allowed
                    stopped_early = True
            if step >= total:
                break
            g = perm[s * G:(s + 1) * G].to(device)
            idx = (g[:, None] * 4 + ar[None, :]).reshape(-1)
            x = to_batch(X, idx, device, True, gen)
            kk = torch.randint(0, N_CAPTIONS, (B,), generator=gen).to(device)
            ids = caps_t[idx, kk]
            L = lens_t[idx, kk]
            pos = torch.arange(MAX_LEN, device=device)[None, :]
            mask = (pos < L[:, None]).long()
            # word dropout to [UNK] (id 1) so unknown words map somewhere sensible
            drop = (torch.rand(ids.shape, generator=gen).to(device) < 0.03) & (ids > 3)
            ids = torch.where(drop, torch.ones_like(ids), ids)
            for gr in opt.param_groups:
                gr["lr"] = cosine_lr(step, total, cfg["clip_lr"])
            with autocast(device, cfg.get("cpu_bf16", False)):
                h = model.vision.features(x)
                ie = model.vision.proj(h)
                te = model.text(ids, mask)
            ie = F.normalize(ie.float(), dim=-1)
            te = F.normalize(te.float(), dim=-1)
            scale = model.logit_scale.exp().clamp(max=100)
            logits = scale * ie @ te.t()
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
            if heads is not None:
                for f, _ in aux_fields:
                    loss = loss + aux_w / len(aux_fields) * F.cross_entropy(heads[f](h.float()), aux_y[f][idx], ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            tl += float(loss.detach()) if s % 20 == 0 else 0.0
        el = time.time() - t0
        curve = ""
        if eval_fn is not None:
            model.eval()
            curve = " | " + eval_fn(model)
            model.train()
            el = time.time() - t0
        log(f"CLIP epoch {ep + 1}/{cfg['clip_epochs']}: loss~{tl / max(1, (steps_per + 19) // 20):.4f} "
            f"scale {float(model.logit_scale.exp()):.1f} ({step * B / el:.0f} img/s, {el / 60:.1f} min){curve}")
        if step >= total:
            break
    model.eval()
    # words that never occurred in a training caption behave exactly like [UNK]
    unseen = [w for w in tok.vocab if tok.ids[w] not in seen and w not in SPECIALS]
    with torch.no_grad():
        for w in unseen:
            model.text.emb.weight[tok.ids[w]] = model.text.emb.weight[1]
    info = {"epochs_done": ep + 1, "steps": step, "stopped_early": stopped_early, "train_minutes": round((time.time() - t0) / 60, 2),
            "unseen_words_set_to_unk": unseen, "images": N}
    return model, info


# ----------------------------------------------------------------------------- export

def onnx_export(module, args, path, input_names, output_names, dynamic_axes):
    import inspect
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=14, do_constant_folding=True, **kw)
    module.eval()  # export restores the training flag; we want eval for references


def write_model_folder(model, tok, out_dir):
    model = model.to("cpu").float().eval()
    model.vision.to(memory_format=torch.contiguous_format)
    ve, te = VisionExport(model.vision).eval(), TextExport(model.text, lexical_table(tok.vocab)).eval()
    onnx_dir = os.path.join(out_dir, "onnx")
    onnx_export(ve, (torch.zeros(2, 3, 64, 64),), os.path.join(onnx_dir, "vision_model.onnx"),
                ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    ids, mask = tok.batch(["a photo of a rusty bolt", "gear"])
    onnx_export(te, (ids, mask), os.path.join(onnx_dir, "text_model.onnx"),
                ["input_ids", "attention_mask"], ["text_embeds"],
                {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}})
    ve.eval(), te.eval(), model.eval()
    quant = "copy"
    for name in ("vision_model", "text_model"):
        src = os.path.join(onnx_dir, name + ".onnx")
        shutil.copyfile(src, os.path.join(onnx_dir, name + "_quantized.onnx"))
    V = len(tok.vocab)
    dump({
        "_comment": "Demo CLIP for Concept Tuning Studio: a small residual CNN image tower and a bag-of-words text tower "
                    "trained contrastively on procedurally drawn machine parts (tools/demo). It knows only that domain. "
                    "Both towers output L2-normalised 128-d embeddings.",
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": EMBED_DIM + LEX_DIM,
        "demo_embedding": {"semantic_dims": EMBED_DIM, "lexical_dims": LEX_DIM, "lexical_weight": LEX_WEIGHT,
                           "note": "image_embeds are zero in the last lexical_dims; see tools/demo/model.py"},
        "logit_scale_init_value": 2.6592, "torch_dtype": "float32", "transformers_version": "4.49.0",
        "text_config": {"model_type": "clip_text_model", "vocab_size": V, "hidden_size": 128, "intermediate_size": 256,
                        "projection_dim": EMBED_DIM + LEX_DIM, "max_position_embeddings": MAX_LEN, "num_hidden_layers": 1,
                        "num_attention_heads": 1, "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3},
        "vision_config": {"model_type": "clip_vision_model", "image_size": 64, "num_channels": 3, "patch_size": 64,
                          "hidden_size": 256, "intermediate_size": 256, "projection_dim": EMBED_DIM + LEX_DIM,
                          "num_hidden_layers": 7, "num_attention_heads": 1},
    }, os.path.join(out_dir, "config.json"))
    sp = lambda t: {"id": t, "type_id": 0}
    dump({
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None, "pad_id": 0,
                    "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": sp("<|startoftext|>")}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": sp("<|endoftext|>")}],
            "pair": [{"SpecialToken": sp("<|startoftext|>")}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": sp("<|endoftext|>")},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": sp("<|endoftext|>")}],
            "special_tokens": {"<|startoftext|>": {"id": "<|startoftext|>", "ids": [2], "tokens": ["<|startoftext|>"]},
                               "<|endoftext|>": {"id": "<|endoftext|>", "ids": [3], "tokens": ["<|endoftext|>"]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(tok.vocab)}, "unk_token": "[UNK]"},
    }, os.path.join(out_dir, "tokenizer.json"))
    dump({"tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LEN, "bos_token": "<|startoftext|>",
          "eos_token": "<|endoftext|>", "unk_token": "[UNK]", "pad_token": "[PAD]", "do_lower_case": True,
          "clean_up_tokenization_spaces": False, "padding_side": "right", "truncation_side": "right"},
         os.path.join(out_dir, "tokenizer_config.json"))
    dump(preprocessor_config(), os.path.join(out_dir, "preprocessor_config.json"))
    return quant


def preprocessor_config():
    return {"image_processor_type": "CLIPImageProcessor", "processor_class": "CLIPProcessor", "do_resize": True,
            "size": {"shortest_edge": 64}, "resample": 3, "do_center_crop": True, "crop_size": {"height": 64, "width": 64},
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": IMAGE_MEAN,
            "image_std": IMAGE_STD, "do_convert_rgb": True}


def write_teacher(teacher, out_dir, metrics):
    teacher = teacher.to("cpu").float().eval().to(memory_format=torch.contiguous_format)
    path = os.path.join(out_dir, "teacher.onnx")
    onnx_export(teacher, (torch.zeros(2, 3, 64, 64),), path, ["pixel_values"], ["logits"],
                {"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
    teacher.eval()
    dump({
        "name": "demo-teacher",
        "description": "Small CNN that classifies the condition of a machine part on the inspection line. Trained on a "
                       "BIASED set in which rusty parts were mostly photographed in dim light (P(dim|rusty)="
                       f"{SHORTCUT['p_given_condition']}, P(dim|other)={SHORTCUT['p_given_other']}), so it inherited that shortcut.",
        "file": "teacher.onnx",
        "labels": CONDITIONS,
        "input": {"name": "pixel_values", "dtype": "float32", "shape": ["batch", 3, 64, 64], "layout": "NCHW", "color": "RGB"},
        "output": {"name": "logits", "dtype": "float32", "shape": ["batch", len(CONDITIONS)], "kind": "logits",
                   "note": "unnormalised; apply softmax for probabilities"},
        "preprocessing": {"same_as": "models/demo-clip/preprocessor_config.json", **preprocessor_config()},
        "opset": 14,
        "metrics": metrics,
    }, os.path.join(out_dir, "teacher.json"))


# ----------------------------------------------------------------------------- demo content

def write_demo(seed, public_dir, log_every=200):
    img_dir = os.path.join(public_dir, "demo", "images")
    if os.path.isdir(img_dir):
        shutil.rmtree(img_dir)
    os.makedirs(img_dir)
    rows = []
    for split, n in DEMO_SETS.items():
        for i in range(n):
            a, img = make_item(seed, split, i)
            name = f"{DEMO_SET_NAMES[split]}-{i:04d}.jpg"
            img.save(os.path.join(img_dir, name), "JPEG", quality=90)
            rows.append({"id": f"{DEMO_SET_NAMES[split]}-{i:04d}", "file": f"images/{name}", "set": DEMO_SET_NAMES[split],
                         "part": a["part"], "material": a.get("material"), "condition": a.get("condition"),
                         "lighting": a["lighting"], "background": a["background"], "marks": a.get("marks", []),
                         "ood": bool(a.get("ood", False)), "caption": a["caption"]})
    ds = {
        "version": 1,
        "name": "Inspection line (demo)",
        "seed": seed,
        "generator": "tools/demo/generate.py",
        "image_size": 128,
        "model_input_size": 64,
        "task": {"label": "condition", "classes": CONDITIONS},
        "attributes": {"part": PARTS, "material": MATERIALS, "condition": CONDITIONS, "lighting": LIGHTINGS + SHIFTED_LIGHTINGS,
                       "background": BACKGROUNDS, "marks": MARKS, "ood_part": OOD_PARTS + OOD_OBJECTS},
        "sets": {
            "distill": "Distillation images: same biased distribution as the teacher's training data (rusty parts mostly in dim light).",
            "holdout": "Held-out images for the student: lighting independent of condition (the shortcut is broken).",
            "test": "Extra held-out images, unbiased.",
            "shifted": "Same classes at night, in heavy haze or under strong glare (covariate shift).",
            "ood": "Out of distribution: part types the task never saw (ball bearing, chain link) and non-parts (apple, leaf, coffee mug, pencil); condition is null for non-parts.",
        },
        "story": {"shortcut": SHORTCUT,
                  "summary": "The teacher learned that dim light means rusty. Distil it on 'distill', evaluate on 'holdout', "
                             "then ban or down-tune the concept 'dim light' for 'rusty' and watch held-out accuracy rise."},
        "images": rows,
    }
    dump(ds, os.path.join(public_dir, "demo", "dataset.json"))
    with open(os.path.join(public_dir, "demo", "labels.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "file", "set", "condition", "part", "material", "lighting", "background", "marks", "ood"])
        for r in rows:
            w.writerow([r["id"], r["file"], r["set"], r["condition"] or "", r["part"], r["material"] or "", r["lighting"],
                        r["background"], ";".join(r["marks"]), int(r["ood"])])
    return rows


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--profile", default="auto", help="auto (gpu on cuda, else cpu) | cpu | gpu | smoke")
    ap.add_argument("--workers", type=int, default=0, help="generator processes (default: all cores)")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--public", default=os.path.join(ROOT, "public"))
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    ap.add_argument("--reference", default=os.path.join(HERE, "reference.json"))
    ap.add_argument("--clip-budget", type=float, default=None, help="override the CLIP training time cap (minutes)")
    ap.add_argument("--save-checkpoints", default=None, help="also save torch state_dicts to this folder")
    ap.add_argument("--clip-checkpoint", default=None, help="reuse a trained CLIP (checkpoints.pt from --save-checkpoints) instead of training one")
    ap.add_argument("--checkpoint-note", default="", help="free text recorded in the manifest next to reused checkpoints")
    ap.add_argument("--teacher-checkpoint", default=None, help="reuse a trained teacher (state_dict .pt) instead of training one")
    ap.add_argument("--teacher-sweep", default="", help="comma-separated teacher epoch counts to try and report (diagnostic only)")
    args = ap.parse_args()

    dev = args.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(dev)
    prof = args.profile if args.profile != "auto" else ("gpu" if dev == "cuda" else "cpu")
    cfg = dict(PROFILES[prof])
    if args.clip_budget is not None:
        cfg["clip_budget"] = args.clip_budget
    if cfg.get("cpu_bf16") == "auto":
        cfg["cpu_bf16"] = dev == "cpu" and cpu_has_fast_bf16()
    workers = args.workers or (os.cpu_count() or 1)
    if dev == "cpu":
        torch.set_num_threads(max(1, min(os.cpu_count() or 1, 4)))
    else:
        torch.backends.cudnn.benchmark = True
    log(f"device {dev}, profile {prof}, workers {workers}, torch {torch.__version__}")
    seed = args.seed
    np.random.seed(seed)
    torch.manual_seed(seed)

    # vocabulary: every caption word, every word of the inspection corpus, prompt words
    corpus_path = os.path.join(args.public, "corpora", "inspection.txt")
    corpus = ec.read_corpus(corpus_path)
    words = set(caption_vocabulary()) | set(EXTRA_WORDS)
    tmp = WordTokenizer([])
    for c, _ in corpus:
        words.update(tmp.words(c))
    tok = WordTokenizer(words)
    missing = sorted({w for c, _ in corpus for w in tmp.words(c) if w not in caption_vocabulary()})
    if missing:
        log(f"WARNING: corpus words never used in captions (untrained): {missing}")

    # data
    if not args.clip_checkpoint:
        clip_arr, clip_attrs = cached_split(args.cache, seed, "clip", cfg["n_clip"], workers, N_CAPTIONS)
    if not args.teacher_checkpoint:
        tr_arr, tr_attrs = cached_split(args.cache, seed, "train", cfg["n_train"], workers)
    va_arr, va_attrs = cached_split(args.cache, seed, "val", cfg["n_val"], workers)
    te_arr, te_attrs = cached_split(args.cache, seed + 1000, "test", cfg["n_test"], workers)
    sh_arr, sh_attrs = cached_split(args.cache, seed + 1000, "shifted", cfg["n_shifted"], workers)
    ood_arr, ood_attrs = cached_split(args.cache, seed + 1000, "ood", cfg["n_ood"], workers)

    # teacher
    t = time.time()
    if args.teacher_checkpoint:
        teacher = Teacher(len(CONDITIONS))
        st = torch.load(args.teacher_checkpoint, map_location="cpu")
        teacher.load_state_dict(st.get("teacher", st) if isinstance(st, dict) and "teacher" in st else st)
        teacher.eval()
        log(f"teacher loaded from {args.teacher_checkpoint}")
    else:
        teacher = train_teacher(tr_arr, tr_attrs, cfg, device, seed)
    teacher_minutes = (time.time() - t) / 60
    for e in [int(v) for v in args.teacher_sweep.split(",") if v]:
        c2 = dict(cfg, teacher_epochs=e)
        tv = train_teacher(tr_arr, tr_attrs, c2, device, seed)
        if args.save_checkpoints:
            os.makedirs(args.save_checkpoints, exist_ok=True)
            torch.save(tv.state_dict(), os.path.join(args.save_checkpoints, f"teacher_e{e}.pt"))
        with torch.no_grad():
            lg = lambda a: torch.cat([tv(to_batch(torch.from_numpy(a), torch.arange(i, min(len(a), i + 512)), device, False))
                                      .float().cpu() for i in range(0, len(a), 512)]).numpy()
            log(f"sweep teacher epochs={e}: in-dist {json.dumps(ec.teacher_metrics(lg(va_arr), va_attrs, CONDITIONS))} "
                f"test {json.dumps(ec.teacher_metrics(lg(te_arr), te_attrs, CONDITIONS))}")

    # CLIP
    if args.clip_checkpoint:
        ck = torch.load(args.clip_checkpoint, map_location="cpu")
        assert ck["vocab"] == tok.vocab, "checkpoint vocabulary differs"
        pool = "meanmax" if ck["clip"]["vision.proj.weight"].shape[1] == 2 * ck["clip"]["vision.stages.6.c1.weight"].shape[0] else "mean"
        clip = DemoCLIP(len(tok.vocab), pool=pool)
        clip.load_state_dict(ck["clip"])
        clip.eval()
        clip_info = dict(ck.get("clip_info", {}), from_checkpoint=os.path.basename(args.clip_checkpoint),
                         checkpoint_note=args.checkpoint_note,
                         checkpoint_sha256=sha256(args.clip_checkpoint))
        log(f"CLIP loaded from {args.clip_checkpoint}")
    else:
        def curve(model):
            # learning curve on the validation split (logged, recorded; never used to choose anything)
            with torch.no_grad():
                xs = torch.from_numpy(va_arr)
                ie = torch.cat([F.normalize(model.vision(to_batch(xs, torch.arange(s, min(len(xs), s + 500)), device, False)).float(), dim=-1)
                                for s in range(0, len(xs), 500)]).cpu().numpy()

                def text_fn(ts):
                    ids, mask = tok.batch(ts)
                    return F.normalize(model.text(ids.to(device), mask.to(device)).float(), dim=-1).cpu().numpy()
                m = ec.clip_metrics(ie, va_attrs, text_fn)
            point = {k: round(v, 4) for k, v in m.items() if not isinstance(v, dict)}
            curve_points.append(point)
            return json.dumps(point)
        curve_points = []
        clip, clip_info = train_clip(clip_arr, clip_attrs, tok, cfg, device, seed, eval_fn=curve if prof == "cpu" else None)
        clip_info["val_curve_per_epoch"] = curve_points
    if args.save_checkpoints:
        os.makedirs(args.save_checkpoints, exist_ok=True)
        torch.save({"clip": clip.state_dict(), "teacher": teacher.state_dict(), "vocab": tok.vocab, "clip_info": clip_info},
                   os.path.join(args.save_checkpoints, "checkpoints.pt"))

    # export
    clip_dir = os.path.join(args.models, "demo-clip")
    teacher_dir = os.path.join(args.models, "demo-teacher")
    quant = write_model_folder(clip, tok, clip_dir)
    write_teacher(teacher, teacher_dir, {})
    log("exported ONNX")

    # evaluate the shipped files
    enc = ec.OnnxEncoders(clip_dir, os.path.join(teacher_dir, "teacher.onnx"))
    log(f"evaluating with {enc.backend}")
    metrics = {"backend": enc.backend}
    te_emb = enc.images(te_arr)
    metrics["clip_test"] = ec.clip_metrics(te_emb, te_attrs, enc.texts)
    metrics["clip_test"]["n"] = len(te_attrs)
    sh_emb = enc.images(sh_arr)
    metrics["clip_shifted"] = {k: v for k, v in ec.clip_metrics(sh_emb, sh_attrs, enc.texts).items() if k.startswith("zero_shot")}
    ood_emb = enc.images(ood_arr)
    s_id = ec.mcm_scores(te_emb, enc.texts, CONDITIONS)
    s_ood = ec.mcm_scores(ood_emb, enc.texts, CONDITIONS)
    s_sh = ec.mcm_scores(sh_emb, enc.texts, CONDITIONS)
    metrics["mcm_ood_auroc_tau1"] = ec.auroc(s_id, s_ood)
    metrics["mcm_ood_auroc_tau0.01"] = ec.auroc(ec.mcm_scores(te_emb, enc.texts, CONDITIONS, 0.01), ec.mcm_scores(ood_emb, enc.texts, CONDITIONS, 0.01))
    metrics["mcm_shifted_vs_ood_auroc_tau1"] = ec.auroc(s_sh, s_ood)
    metrics["teacher_in_distribution"] = ec.teacher_metrics(enc.teacher_logits(va_arr), va_attrs, CONDITIONS)
    metrics["teacher_shortcut_breaking"] = ec.teacher_metrics(enc.teacher_logits(te_arr), te_attrs, CONDITIONS)
    metrics["teacher_shifted"] = ec.teacher_metrics(enc.teacher_logits(sh_arr), sh_attrs, CONDITIONS)
    log("metrics: " + json.dumps({k: v for k, v in metrics["clip_test"].items() if not isinstance(v, dict)}))
    log("teacher: in-dist " + json.dumps(metrics["teacher_in_distribution"]) + " | test " + json.dumps(metrics["teacher_shortcut_breaking"]))
    write_teacher(teacher, teacher_dir, {"in_distribution": metrics["teacher_in_distribution"],
                                         "shortcut_breaking_test": metrics["teacher_shortcut_breaking"],
                                         "shifted": metrics["teacher_shifted"]})

    # demo content and the story, measured on the committed JPEG files as the browser sees them
    rows = write_demo(seed, args.public)
    log(f"wrote {len(rows)} demo images")
    demo_dir = os.path.join(args.public, "demo")
    by = {}
    for r in rows:
        by.setdefault(r["set"], []).append(r)
    arrs = {k: ec.load_image_arrays([os.path.join(demo_dir, r["file"]) for r in v]) for k, v in by.items()}
    d_emb, h_emb = enc.images(arrs["distill"]), enc.images(arrs["holdout"])
    d_t, h_t = enc.teacher_logits(arrs["distill"]), enc.teacher_logits(arrs["holdout"])
    metrics["story"] = ec.story(enc.texts, d_emb, by["distill"], d_t, h_emb, by["holdout"], h_t, corpus, CONDITIONS)
    metrics["demo_holdout_clip"] = {k: v for k, v in ec.clip_metrics(h_emb, by["holdout"], enc.texts).items() if not isinstance(v, dict)}
    st = metrics["story"]
    log("story: " + json.dumps({k: st[k] for k in st if k not in ("dropped",)}))

    # references for parity tests
    write_reference(clip, teacher, tok, enc, by, demo_dir, args.reference)

    # manifest
    files = {}
    for base in (clip_dir, teacher_dir):
        for dp, _, fns in os.walk(base):
            for fn in sorted(fns):
                if fn == "manifest.json":
                    continue
                p = os.path.join(dp, fn)
                files[os.path.relpath(p, ROOT)] = {"sha256": sha256(p), "bytes": os.path.getsize(p)}
    for p in (os.path.join(demo_dir, "dataset.json"), os.path.join(demo_dir, "labels.csv"), corpus_path, args.reference):
        files[os.path.relpath(p, ROOT)] = {"sha256": sha256(p), "bytes": os.path.getsize(p)}
    img_hash = hashlib.sha256()
    img_bytes = 0
    for r in rows:
        p = os.path.join(demo_dir, r["file"])
        img_hash.update(sha256(p).encode())
        img_bytes += os.path.getsize(p)
    files["public/demo/images/"] = {"sha256_of_file_hashes_in_dataset_order": img_hash.hexdigest(), "count": len(rows), "bytes": img_bytes}
    manifest = {
        "seed": seed,
        "command": "python3 tools/demo/build.py " + " ".join(sys.argv[1:]),
        "profile": prof, "config": cfg, "device": dev,
        "device_name": torch.cuda.get_device_name(0) if dev == "cuda" else platform.processor() or platform.machine(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "quantized_files": quant,
        "data": {"shortcut": SHORTCUT, "n": {"clip": cfg["n_clip"], "train": cfg["n_train"], "val": cfg["n_val"],
                                             "test": cfg["n_test"], "shifted": cfg["n_shifted"], "ood": cfg["n_ood"]},
                 "test_seed": seed + 1000, "demo_sets": DEMO_SETS},
        "training": {"clip": clip_info, "teacher_minutes": round(teacher_minutes, 2),
                     "teacher_from_checkpoint": ({"file": os.path.basename(args.teacher_checkpoint), "sha256": sha256(args.teacher_checkpoint)}
                                                 if args.teacher_checkpoint else None),
                     "clip_params": {"vision": count_params(clip.vision), "text": count_params(clip.text)},
                     "teacher_params": count_params(teacher), "vocab_size": len(tok.vocab)},
        "metrics": metrics,
        "files": files,
        "total_minutes": round((time.time() - T0) / 60, 2),
    }
    dump(manifest, os.path.join(clip_dir, "manifest.json"))
    log(f"done in {(time.time() - T0) / 60:.1f} min")



def write_reference(clip, teacher, tok, enc, by, demo_dir, path):
    picks = [by["distill"][0], by["distill"][1], by["holdout"][0], by["holdout"][1]]
    files = [os.path.join(demo_dir, r["file"]) for r in picks]
    arr = ec.load_image_arrays(files)
    x = torch.from_numpy(ec.preprocess_arrays(arr))
    clip = clip.to("cpu").float().eval()
    teacher = teacher.to("cpu").float().eval()
    with torch.no_grad():
        ie_t = VisionExport(clip.vision).eval()(x).numpy()
        tl_t = teacher(x).numpy()
    ie_o = enc.images(arr)
    tl_o = enc.teacher_logits(arr)
    texts = ["a photo of a rusty", "a photo of dim light", "a photo of a brass hex nut on a wooden bench", "a photo of an unicorn"]
    ids, mask = tok.batch(texts)
    with torch.no_grad():
        te_t = TextExport(clip.text, lexical_table(tok.vocab)).eval()(ids, mask).numpy()
    te_o = enc.texts(texts)
    r4 = lambda a: [[round(float(v), 6) for v in row] for row in a]
    dump({
        "_comment": "Reference inputs/outputs of the demo CLIP and teacher for parity tests. Images are the committed "
                    "128 px JPEGs; preprocessing = PIL bicubic resize to 64 (shortest edge), centre crop, /255, CLIP mean/std. "
                    "Browsers resize with their own resampler, so expect ~1e-2 differences from that step alone; "
                    "feed 'pixel_mean_per_channel' to check preprocessing.",
        "backend": enc.backend,
        "max_abs_diff_torch_vs_onnx": {"image": float(np.abs(ie_t - ie_o).max()), "text": float(np.abs(te_t - te_o).max()),
                                       "teacher": float(np.abs(tl_t - tl_o).max())},
        "images": [{"file": os.path.relpath(f, ROOT), "pixel_mean_per_channel": [round(float(v), 6) for v in x[i].mean(dim=(1, 2))],
                    "image_embeds": r4(ie_o[i:i + 1])[0], "teacher_logits": r4(tl_o[i:i + 1])[0], "condition": picks[i]["condition"]}
                   for i, f in enumerate(files)],
        "texts": [{"text": t, "input_ids": [int(v) for v, m in zip(ids[i], mask[i]) if m], "text_embeds": r4(te_o[i:i + 1])[0]}
                  for i, t in enumerate(texts)],
        "cosine_image_text": r4(ec.l2n(ie_o) @ ec.l2n(te_o).T),
    }, path)


if __name__ == "__main__":
    main()
