"""Demo CLIP (vision + text towers), the teacher CNN and the word-level tokenizer.

Compatible with torch 1.13 (Debian) and torch 2.x.
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn
import torch.nn.functional as F

# Same numbers as OpenAI CLIP's preprocessor; the teacher uses them too.
IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]
IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]
EMBED_DIM = 128
MAX_LEN = 32

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "<|startoftext|>", "<|endoftext|>"
SPECIALS = [PAD, UNK, BOS, EOS]
# HF tokenizers' Whitespace pre-tokenizer splits on this pattern.
_WS = re.compile(r"\w+|[^\w\s]+")


class WordTokenizer:
    """Python twin of the tokenizer.json we ship: Lowercase -> Whitespace -> WordLevel ->
    [BOS] ... [EOS], truncated to MAX_LEN, padded with [PAD] (id 0)."""

    def __init__(self, words):
        self.vocab = list(SPECIALS) + sorted(set(words) - set(SPECIALS))
        self.ids = {w: i for i, w in enumerate(self.vocab)}

    def words(self, text):
        return _WS.findall(text.lower())

    def encode(self, text, max_len=MAX_LEN):
        ids = [self.ids.get(w, 1) for w in self.words(text)]
        ids = [2] + ids[: max_len - 2] + [3]
        return ids

    def batch(self, texts, max_len=MAX_LEN, pad_to=None):
        enc = [self.encode(t, max_len) for t in texts]
        L = pad_to or max(len(e) for e in enc)
        ids = torch.zeros(len(enc), L, dtype=torch.long)
        mask = torch.zeros(len(enc), L, dtype=torch.long)
        for i, e in enumerate(enc):
            ids[i, : len(e)] = torch.tensor(e)
            mask[i, : len(e)] = 1
        return ids, mask


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


class VisionTower(nn.Module):
    """64x64 -> stem (stride 2) -> stages 32/64/128/256 -> GAP -> 128-d projection (~1.3 M params)."""

    def __init__(self, dim=EMBED_DIM, widths=(32, 64, 128, 256), pool="mean"):
        super().__init__()
        # pool: "mean" (global average) or "meanmax" (average and maximum side by side: a small
        # local defect that covers one cell of the last 4x4 grid is not diluted 16-fold)
        assert pool in ("mean", "meanmax"), pool
        self.pool = pool
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        layers = []
        cin = widths[0]
        for i, w in enumerate(widths):
            layers += [Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)] if i < 3 else [Block(cin, w, 2)]
            cin = w
        self.stages = nn.Sequential(*layers)
        self.proj = nn.Linear(cin * (2 if pool == "meanmax" else 1), dim)

    def features(self, pixel_values):
        x = self.stages(self.stem(pixel_values))
        if self.pool == "meanmax":
            return torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return x.mean(dim=(2, 3))

    def forward(self, pixel_values):
        return self.proj(self.features(pixel_values))


class TextTower(nn.Module):
    """Word embeddings -> masked mean pooling -> MLP -> 128-d."""

    def __init__(self, vocab_size, dim=EMBED_DIM, width=128, hidden=256):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, width)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self.skip = nn.Linear(width, dim, bias=False)
        nn.init.normal_(self.emb.weight, std=0.1)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.to(torch.float32).unsqueeze(-1)
        e = self.emb(input_ids) * m
        pooled = e.sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        return self.mlp(pooled) + self.skip(pooled)


class DemoCLIP(nn.Module):
    def __init__(self, vocab_size, pool="mean"):
        super().__init__()
        self.vision = VisionTower(pool=pool)
        self.text = TextTower(vocab_size)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))  # log(1/0.07)


# The shipped embeddings have EMBED_DIM semantic dimensions plus LEX_DIM "lexical" ones. Images
# are zero in the lexical block; a text's lexical block is a fixed random code of its content
# words (not trained). Image-text cosines are therefore the trained ones times 1/sqrt(1+LEX_WEIGHT^2),
# while text-text cosines keep some lexical identity: visual synonyms ("rust" / "rusty") stay
# distinguishable (~0.8 instead of ~0.99), as they are in a real CLIP text space, so the studio's
# near-copy (0.85) and merge (0.9) hygiene thresholds behave sensibly.
LEX_DIM = 32
LEX_WEIGHT = 0.5
STOPWORDS = {"a", "an", "of", "photo", "the", "in", "on", "at", "with", "made", "image", "picture", "close", "up",
             "inspection", "-", ",", ".", "and", "is", "that", "taken"}


def lexical_table(vocab, seed=12345):
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(len(vocab), LEX_DIM, generator=g)
    for i, w in enumerate(vocab):
        if w in STOPWORDS or w in SPECIALS:
            t[i] = 0
    return t


class VisionExport(nn.Module):
    """ONNX wrapper: pixel_values -> image_embeds (L2-normalised, lexical block zero)."""

    def __init__(self, vision):
        super().__init__()
        self.vision = vision
        p = vision.proj
        self.proj = nn.Linear(p.in_features, p.out_features + LEX_DIM)
        with torch.no_grad():
            self.proj.weight.zero_()
            self.proj.bias.zero_()
            self.proj.weight[: p.out_features] = p.weight
            self.proj.bias[: p.out_features] = p.bias

    def forward(self, pixel_values):
        return F.normalize(self.proj(self.vision.features(pixel_values)), dim=-1)


class TextExport(nn.Module):
    """ONNX wrapper: (input_ids, attention_mask) -> text_embeds (L2-normalised)."""

    def __init__(self, text, lex_table):
        super().__init__()
        self.text = text
        self.register_buffer("lex", lex_table.clone())

    def forward(self, input_ids, attention_mask):
        s = F.normalize(self.text(input_ids, attention_mask), dim=-1)
        m = attention_mask.to(torch.float32).unsqueeze(-1)
        lex = (F.embedding(input_ids, self.lex) * m).sum(dim=1)
        lex = F.normalize(lex, dim=-1) * LEX_WEIGHT
        return F.normalize(torch.cat([s, lex], dim=1), dim=-1)


class Teacher(nn.Module):
    """Small plain CNN over the condition classes. Outputs logits."""

    def __init__(self, n_classes, widths=(24, 48, 96, 128)):
        super().__init__()
        layers = []
        cin = 3
        for w in widths:
            layers += [nn.Conv2d(cin, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, pixel_values):
        return self.head(self.features(pixel_values).mean(dim=(2, 3)))


def count_params(m):
    return sum(p.numel() for p in m.parameters())
