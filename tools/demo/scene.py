"""Procedural renderer: machine parts on an inspection line.

Every image is drawn at 128 px (2x the model's 64 px input) from a numpy Generator seeded by
(seed, split, index), so an image depends only on those three numbers, never on the number of
worker processes. `render(attrs, rng)` returns a 128x128 RGB PIL image; the model sees it after
CLIPImageProcessor's bicubic resize to 64 px (see `to_model_size`).

Vocabulary of attributes (the ground truth every image carries):
  part        hex nut, washer, bolt, gear, spring, bracket
  material    steel, brass, black oxide, blue paint
  condition   ok, scratched, rusty, cracked, dented, chipped      (the teacher's task)
  lighting    bright, dim, glare, haze   (+ night, heavy haze, strong glare in the shifted set)
  background  tray, conveyor belt, wooden bench
  marks       blue label, red sticker (each optional)
Out-of-distribution objects: ball bearing, chain link (part types the task never saw) and
apple, leaf, coffee mug, pencil (not machine parts).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

S = 128  # drawing resolution
MODEL_SIZE = 64

PARTS = ["hex nut", "washer", "bolt", "gear", "spring", "bracket"]
MATERIALS = ["steel", "brass", "black oxide", "blue paint"]
CONDITIONS = ["ok", "scratched", "rusty", "cracked", "dented", "chipped"]
LIGHTINGS = ["bright", "dim", "glare", "haze"]
SHIFTED_LIGHTINGS = ["night", "heavy haze", "strong glare"]
BACKGROUNDS = ["tray", "conveyor belt", "wooden bench"]
MARKS = ["blue label", "red sticker"]
OOD_PARTS = ["ball bearing", "chain link"]
OOD_OBJECTS = ["apple", "leaf", "coffee mug", "pencil"]

MATERIAL_RGB = {
    "steel": (172, 178, 186),
    "brass": (204, 164, 66),
    "black oxide": (50, 50, 56),
    "blue paint": (42, 84, 178),
}


# ----------------------------------------------------------------------------- helpers

def _u(rng, a, b):
    return float(rng.uniform(a, b))


def _grid():
    y, x = np.mgrid[0:S, 0:S].astype(np.float32)
    return x, y


_X, _Y = _grid()


def _mask_img(draw_fn):
    m = Image.new("L", (S, S), 0)
    draw_fn(ImageDraw.Draw(m))
    return m


def _arr(m):
    return np.asarray(m, dtype=np.float32) / 255.0


def _lum(rgb):
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def _inside_points(mask: np.ndarray, rng, n=1, erode=0):
    m = Image.fromarray((mask * 255).astype(np.uint8))
    if erode > 0:
        m = m.filter(ImageFilter.MinFilter(2 * erode + 1))
    a = np.asarray(m) > 127
    ys, xs = np.nonzero(a)
    if len(xs) == 0:
        ys, xs = np.nonzero(mask > 0.5)
    idx = rng.integers(0, len(xs), size=n)
    return [(float(xs[i]), float(ys[i])) for i in idx]


# ----------------------------------------------------------------------------- backgrounds

def draw_background(kind: str, rng) -> np.ndarray:
    img = np.zeros((S, S, 3), np.float32)
    if kind == "tray":
        base = np.array([142, 147, 152], np.float32) + rng.normal(0, 6, 3)
        img[:] = base
        # brushed texture
        streak = rng.normal(0, 4, (S, 1)).astype(np.float32)
        img += np.repeat(streak, S, axis=1)[..., None]
        # raised rim and a pressed floor
        inset = int(rng.integers(3, 9))
        m = Image.new("L", (S, S), 0)
        d = ImageDraw.Draw(m)
        d.rounded_rectangle([inset, inset, S - 1 - inset, S - 1 - inset], radius=10, outline=255, width=5)
        rim = _arr(m)[..., None]
        img = img * (1 - rim) + (base + 38) * rim
        m2 = Image.new("L", (S, S), 0)
        ImageDraw.Draw(m2).rounded_rectangle([inset + 5, inset + 5, S - 6 - inset, S - 6 - inset], radius=8, outline=255, width=2)
        img -= 30 * _arr(m2)[..., None]
    elif kind == "conveyor belt":
        base = np.array([56, 58, 61], np.float32) + rng.normal(0, 4, 3)
        img[:] = base
        period = int(rng.integers(7, 11))
        phase = int(rng.integers(0, period))
        ribs = (((_Y.astype(int) + phase) % period) < 2).astype(np.float32)
        img -= 22 * ribs[..., None]
        img += rng.normal(0, 3, (S, S, 1)).astype(np.float32)
        # side rails
        rail = int(rng.integers(8, 13))
        railc = np.array([150, 154, 160], np.float32)
        img[:rail] = railc - 20 * (np.arange(rail)[:, None, None] % 4 == 0)
        img[S - rail:] = railc - 20 * (np.arange(rail)[:, None, None] % 4 == 0)
        if rng.random() < 0.5:
            img = img.transpose(1, 0, 2).copy()
    elif kind == "wooden bench":
        base = np.array([162, 112, 64], np.float32) + rng.normal(0, 8, 3)
        img[:] = base
        f1, f2 = _u(rng, 0.25, 0.45), _u(rng, 0.05, 0.12)
        ph = _u(rng, 0, 6.28)
        warp = 4 * np.sin(_X * f2 + ph) + 2 * np.sin(_X * 0.21 + 2 * ph)
        grain = np.sin((_Y + warp) * f1) * 0.5 + 0.5
        grain = grain ** 3
        img -= 38 * grain[..., None] * np.array([1.0, 0.85, 0.6], np.float32)
        plank = int(rng.integers(36, 56))
        off = int(rng.integers(0, plank))
        seam = (((_Y.astype(int) + off) % plank) < 2).astype(np.float32)
        img = img * (1 - 0.55 * seam[..., None])
        img += rng.normal(0, 3, (S, S, 1)).astype(np.float32)
        if rng.random() < 0.5:
            img = img.transpose(1, 0, 2).copy()
    else:
        raise ValueError(kind)
    return img


# ----------------------------------------------------------------------------- part shapes
# Each returns (mask [S,S] float 0..1, detail [S,S] float multiplier, highlight [S,S] float add)

def _poly(cx, cy, r, n, rot=0.0):
    return [(cx + r * math.cos(rot + 2 * math.pi * k / n), cy + r * math.sin(rot + 2 * math.pi * k / n)) for k in range(n)]


def shape_hex_nut(rng):
    c = S / 2
    r = _u(rng, 31, 36)
    hole = r * _u(rng, 0.38, 0.44)
    m = _mask_img(lambda d: (d.polygon(_poly(c, c, r, 6), fill=255), d.ellipse([c - hole, c - hole, c + hole, c + hole], fill=0)))
    ring = _mask_img(lambda d: d.ellipse([c - hole - 5, c - hole - 5, c + hole + 5, c + hole + 5], outline=255, width=4))
    # facets: alternate shading of the six triangular faces of the chamfer ring
    ang = np.arctan2(_Y - c, _X - c)
    facet = (np.floor((ang + math.pi) / (math.pi / 3)) % 2).astype(np.float32)
    detail = 1.0 - 0.35 * _arr(ring) - 0.06 * facet
    return _arr(m), detail, np.zeros((S, S), np.float32)


def shape_washer(rng):
    c = S / 2
    r = _u(rng, 31, 36)
    hole = r * _u(rng, 0.42, 0.5)
    m = _mask_img(lambda d: (d.ellipse([c - r, c - r, c + r, c + r], fill=255), d.ellipse([c - hole, c - hole, c + hole, c + hole], fill=0)))
    rr = np.sqrt((_X - c) ** 2 + (_Y - c) ** 2)
    mid = (r + hole) / 2
    detail = 1.0 + 0.12 * np.cos((rr - mid) / (r - hole) * math.pi)  # rounded profile
    return _arr(m), detail.astype(np.float32), np.zeros((S, S), np.float32)


def shape_bolt(rng):
    c = S / 2
    L = _u(rng, 78, 90)
    hw = _u(rng, 7.5, 9.5)  # shaft half width
    hl = _u(rng, 16, 20)  # head length
    hh = hw * _u(rng, 1.8, 2.1)
    x0 = c - L / 2
    m = _mask_img(lambda d: (d.rectangle([x0, c - hh, x0 + hl, c + hh], fill=255),
                             d.rectangle([x0 + hl, c - hw, x0 + L, c + hw], fill=255)))
    detail = np.ones((S, S), np.float32)
    # head faces
    faces = _mask_img(lambda d: (d.line([(x0, c - hh / 3), (x0 + hl, c - hh / 3)], fill=255, width=2),
                                 d.line([(x0, c + hh / 3), (x0 + hl, c + hh / 3)], fill=255, width=2)))
    detail -= 0.3 * _arr(faces)
    # threads: slanted lines on the outer 70 % of the shaft
    pitch = _u(rng, 4.5, 5.5)
    t0 = x0 + hl + (L - hl) * 0.3
    th = _mask_img(lambda d: [d.line([(x, c - hw), (x + 3, c + hw)], fill=255, width=2) for x in np.arange(t0, x0 + L - 2, pitch)])
    detail -= 0.32 * _arr(th)
    # cylindrical shading across the shaft
    detail *= 1.0 + 0.15 * np.cos(np.clip((_Y - c) / hh, -1, 1) * math.pi / 2)
    return _arr(m), detail, np.zeros((S, S), np.float32)


def shape_gear(rng):
    c = S / 2
    r = _u(rng, 25, 29)
    n = int(rng.integers(9, 14))
    tooth = _u(rng, 6, 8)
    hole = _u(rng, 6, 9)
    pts = []
    for k in range(n):
        a0 = 2 * math.pi * k / n
        w = math.pi / n * 0.55
        for a, rad in ((a0 - w, r), (a0 - w * 0.6, r + tooth), (a0 + w * 0.6, r + tooth), (a0 + w, r)):
            pts.append((c + rad * math.cos(a), c + rad * math.sin(a)))
    spokes = rng.random() < 0.5

    def draw(d):
        d.polygon(pts, fill=255)
        d.ellipse([c - hole, c - hole, c + hole, c + hole], fill=0)
        if spokes:
            for k in range(4):
                a = math.pi / 4 + k * math.pi / 2
                px, py = c + 0.6 * r * math.cos(a), c + 0.6 * r * math.sin(a)
                d.ellipse([px - 5, py - 5, px + 5, py + 5], fill=0)
    m = _mask_img(draw)
    hub = _mask_img(lambda d: d.ellipse([c - r * 0.78, c - r * 0.78, c + r * 0.78, c + r * 0.78], outline=255, width=3))
    detail = 1.0 - 0.25 * _arr(hub)
    return _arr(m), detail, np.zeros((S, S), np.float32)


def shape_spring(rng):
    c = S / 2
    L = _u(rng, 74, 86)
    D = _u(rng, 30, 36)
    turns = int(rng.integers(4, 6))
    wire = _u(rng, 7, 8.5)
    x0 = c - L / 2
    step = L / turns
    segs = []
    for k in range(turns):
        xa = x0 + k * step
        segs.append(((xa, c - D / 2), (xa + step / 2, c + D / 2)))
        segs.append(((xa + step / 2, c + D / 2), (xa + step, c - D / 2)))
    back = _mask_img(lambda d: [d.line([a, b], fill=255, width=int(wire)) for i, (a, b) in enumerate(segs) if i % 2 == 1])
    front = _mask_img(lambda d: [d.line([a, b], fill=255, width=int(wire)) for i, (a, b) in enumerate(segs) if i % 2 == 0])
    m = np.maximum(_arr(back), _arr(front))
    detail = np.where(_arr(front) > 0.5, 1.08, 0.78).astype(np.float32)
    return m, detail, np.zeros((S, S), np.float32)


def shape_bracket(rng):
    c = S / 2
    a1 = _u(rng, 70, 84)
    a2 = _u(rng, 52, 66)
    w = _u(rng, 20, 25)
    x0, y0 = c - a1 / 2, c - a2 / 2
    holes = [(x0 + a1 * 0.72, y0 + a2 - w / 2), (x0 + w / 2, y0 + a2 * 0.3)]
    hr = _u(rng, 4, 5.5)

    def draw(d):
        d.rectangle([x0, y0 + a2 - w, x0 + a1, y0 + a2], fill=255)
        d.rectangle([x0, y0, x0 + w, y0 + a2], fill=255)
        for hx, hy in holes:
            d.ellipse([hx - hr, hy - hr, hx + hr, hy + hr], fill=0)
    m = _mask_img(draw)
    bend = _mask_img(lambda d: d.line([(x0 + w, y0 + a2 - w), (x0 + w, y0 + a2)], fill=255, width=3))
    detail = 1.0 - 0.3 * _arr(bend)
    detail = detail * np.where(_X < x0 + w, 0.9, 1.0)
    return _arr(m), detail.astype(np.float32), np.zeros((S, S), np.float32)


def shape_ball_bearing(rng):
    c = S / 2
    r = _u(rng, 31, 35)
    inner = r * 0.42
    hole = r * 0.26
    nb = int(rng.integers(7, 10))
    br = (r - inner) * 0.3
    mid = (r + inner) / 2

    def draw(d):
        d.ellipse([c - r, c - r, c + r, c + r], fill=255)
        d.ellipse([c - mid - br * 0.6, c - mid - br * 0.6, c + mid + br * 0.6, c + mid + br * 0.6], fill=0)
        d.ellipse([c - inner, c - inner, c + inner, c + inner], fill=255)
        d.ellipse([c - hole, c - hole, c + hole, c + hole], fill=0)
        for k in range(nb):
            a = 2 * math.pi * k / nb
            px, py = c + mid * math.cos(a), c + mid * math.sin(a)
            d.ellipse([px - br, py - br, px + br, py + br], fill=255)
    m = _mask_img(draw)
    return _arr(m), np.ones((S, S), np.float32), np.zeros((S, S), np.float32)


def shape_chain_link(rng):
    c = S / 2
    L = _u(rng, 80, 92)
    H = _u(rng, 34, 40)
    t = _u(rng, 8, 10)
    m = _mask_img(lambda d: (d.rounded_rectangle([c - L / 2, c - H / 2, c + L / 2, c + H / 2], radius=H / 2, fill=255),
                             d.rounded_rectangle([c - L / 2 + t, c - H / 2 + t, c + L / 2 - t, c + H / 2 - t], radius=H / 2 - t, fill=0)))
    return _arr(m), np.ones((S, S), np.float32), np.zeros((S, S), np.float32)


SHAPES = {
    "hex nut": shape_hex_nut, "washer": shape_washer, "bolt": shape_bolt, "gear": shape_gear,
    "spring": shape_spring, "bracket": shape_bracket,
    "ball bearing": shape_ball_bearing, "chain link": shape_chain_link,
}


# ----------------------------------------------------------------------------- non-part objects
# Each returns (rgb [S,S,3], mask [S,S]) in canonical pose.

def obj_apple(rng):
    c = S / 2
    r = _u(rng, 26, 32)
    col = [(190, 30, 35), (110, 170, 50), (210, 180, 50)][int(rng.integers(0, 3))]
    m = _mask_img(lambda d: (d.ellipse([c - r, c - r * 0.9, c + r, c + r], fill=255),
                             d.line([(c, c - r * 0.8), (c + 3, c - r - 9)], fill=255, width=3)))
    rgb = np.zeros((S, S, 3), np.float32) + np.array(col, np.float32)
    stem = _mask_img(lambda d: d.line([(c, c - r * 0.8), (c + 3, c - r - 9)], fill=255, width=3))
    rgb = rgb * (1 - _arr(stem)[..., None]) + np.array([90, 60, 30], np.float32) * _arr(stem)[..., None]
    hl = np.exp(-(((_X - c + r * 0.35) ** 2 + (_Y - c + r * 0.35) ** 2) / (2 * (r * 0.25) ** 2)))
    rgb += 70 * hl[..., None]
    leaf = _mask_img(lambda d: d.ellipse([c + 3, c - r - 10, c + 20, c - r - 2], fill=255))
    rgb = rgb * (1 - _arr(leaf)[..., None]) + np.array([60, 140, 50], np.float32) * _arr(leaf)[..., None]
    return rgb, np.maximum(_arr(m), _arr(leaf))


def obj_leaf(rng):
    c = S / 2
    L, W = _u(rng, 66, 80), _u(rng, 30, 38)
    col = np.array([(70, 150, 55), (150, 160, 40), (190, 110, 40)][int(rng.integers(0, 3))], np.float32)
    m = _mask_img(lambda d: (d.ellipse([c - L / 2, c - W / 2, c + L / 2, c + W / 2], fill=255),
                             d.line([(c + L / 2 - 4, c), (c + L / 2 + 10, c + 3)], fill=255, width=3)))
    veins = _mask_img(lambda d: [d.line([(c - L / 2 + 6, c), (c + L / 2, c)], fill=255, width=2)] +
                      [d.line([(x, c), (x + 10, c + s * W * 0.4)], fill=255, width=1) for x in np.arange(c - L / 3, c + L / 3, 9) for s in (-1, 1)])
    rgb = np.zeros((S, S, 3), np.float32) + col
    rgb = rgb * (1 - 0.35 * _arr(veins)[..., None])
    return rgb, _arr(m)


def obj_coffee_mug(rng):
    c = S / 2
    w, h = _u(rng, 44, 52), _u(rng, 50, 58)
    col = np.array([(235, 235, 230), (190, 40, 40), (40, 110, 60), (230, 200, 60)][int(rng.integers(0, 4))], np.float32)
    x0, y0 = c - w / 2 - 6, c - h / 2

    def draw(d):
        d.rounded_rectangle([x0, y0, x0 + w, y0 + h], radius=5, fill=255)
        d.ellipse([x0 + w - 6, c - 14, x0 + w + 20, c + 14], outline=255, width=6)
    m = _mask_img(draw)
    rgb = np.zeros((S, S, 3), np.float32) + col
    rim = _mask_img(lambda d: d.ellipse([x0, y0 - 4, x0 + w, y0 + 6], fill=255))
    rgb = rgb * (1 - 0.5 * _arr(rim)[..., None]) + np.array([60, 35, 20], np.float32) * 0.5 * _arr(rim)[..., None]
    rgb *= (1.0 + 0.15 * np.cos(np.clip((_X - (x0 + w / 2)) / (w / 2), -1, 1) * math.pi / 2))[..., None]
    return rgb, np.maximum(_arr(m), _arr(rim))


def obj_pencil(rng):
    c = S / 2
    L, w = _u(rng, 88, 100), _u(rng, 10, 13)
    x0 = c - L / 2
    body = _mask_img(lambda d: d.rectangle([x0 + 14, c - w / 2, x0 + L - 10, c + w / 2], fill=255))
    tip = _mask_img(lambda d: d.polygon([(x0 + 14, c - w / 2), (x0, c), (x0 + 14, c + w / 2)], fill=255))
    lead = _mask_img(lambda d: d.polygon([(x0 + 5, c - w / 6), (x0, c), (x0 + 5, c + w / 6)], fill=255))
    eraser = _mask_img(lambda d: d.rectangle([x0 + L - 10, c - w / 2, x0 + L, c + w / 2], fill=255))
    rgb = np.zeros((S, S, 3), np.float32)
    for mk, col in ((body, (235, 190, 40)), (tip, (220, 180, 130)), (lead, (40, 40, 40)), (eraser, (230, 130, 150))):
        a = _arr(mk)[..., None]
        rgb = rgb * (1 - a) + np.array(col, np.float32) * a
    m = np.maximum.reduce([_arr(body), _arr(tip), _arr(eraser)])
    return rgb, m


OBJECTS = {"apple": obj_apple, "leaf": obj_leaf, "coffee mug": obj_coffee_mug, "pencil": obj_pencil}


# ----------------------------------------------------------------------------- conditions

def apply_condition(cond, rgb, mask, base, rng):
    """Draw a defect onto the part's colour layer; may also change the mask (chipped)."""
    lum = _lum(base)
    if cond == "ok":
        return rgb, mask
    if cond == "scratched":
        ang = _u(rng, 0, math.pi)
        ux, uy = math.cos(ang), math.sin(ang)
        nx, ny = -uy, ux
        (px, py), = _inside_points(mask, rng, 1, erode=6)
        n = int(rng.integers(3, 6))
        gap = _u(rng, 4, 5.5)
        length = _u(rng, 30, 48)
        sm = Image.new("L", (S, S), 0)
        d = ImageDraw.Draw(sm)
        for k in range(n):
            o = (k - (n - 1) / 2) * gap
            l2 = length / 2 * _u(rng, 0.7, 1.0)
            sx, sy = px + o * nx, py + o * ny
            d.line([(sx - l2 * ux, sy - l2 * uy), (sx + l2 * ux, sy + l2 * uy)], fill=255, width=2)
        a = _arr(sm) * mask
        col = np.array([232, 232, 236] if lum < 150 else [52, 50, 55], np.float32)
        rgb = rgb * (1 - 0.9 * a[..., None]) + col * 0.9 * a[..., None]
        return rgb, mask
    if cond == "rusty":
        cov = _u(rng, 0.5, 1.0)
        nb = int(rng.integers(4, 9))
        pts = _inside_points(mask, rng, nb, erode=2)
        bm = Image.new("L", (S, S), 0)
        d = ImageDraw.Draw(bm)
        for (x, y) in pts:
            rx, ry = _u(rng, 5, 14) * cov, _u(rng, 5, 14) * cov
            d.ellipse([x - rx, y - ry, x + rx, y + ry], fill=255)
        bm = bm.filter(ImageFilter.GaussianBlur(1.5))
        a = _arr(bm)
        speck = (rng.random((S, S)) < 0.5).astype(np.float32)
        a = np.clip(a * (0.75 + 0.25 * speck), 0, 1) * mask
        rust = np.array([152, 72, 26], np.float32) + rng.normal(0, 10, 3).astype(np.float32)
        rust_tex = rust[None, None, :] * (0.8 + 0.35 * rng.random((S, S, 1)).astype(np.float32))
        rgb = rgb * (1 - a[..., None]) + rust_tex * a[..., None]
        return rgb, mask
    if cond == "cracked":
        (x, y), = _inside_points(mask, rng, 1, erode=5)
        ang = _u(rng, 0, 2 * math.pi)
        pts = [(x, y)]
        # walk both ways from the start point
        for sgn in (1, -1):
            cx, cy, a = x, y, ang + (0 if sgn > 0 else math.pi)
            for _ in range(int(rng.integers(3, 6))):
                a += _u(rng, -0.9, 0.9)
                cx, cy = cx + 6 * math.cos(a), cy + 6 * math.sin(a)
                if sgn > 0:
                    pts.append((cx, cy))
                else:
                    pts.insert(0, (cx, cy))
        dm = Image.new("L", (S, S), 0)
        ImageDraw.Draw(dm).line(pts, fill=255, width=4, joint="curve")
        lm = Image.new("L", (S, S), 0)
        ImageDraw.Draw(lm).line([(p[0] + 2, p[1] + 2) for p in pts], fill=255, width=2)
        dk = _arr(dm) * mask
        lt = _arr(lm) * mask * (1 - dk)
        rgb = rgb * (1 - 0.5 * lt[..., None]) + 235 * 0.5 * lt[..., None]
        rgb = rgb * (1 - dk[..., None]) + 12 * dk[..., None]
        return rgb, mask
    if cond == "dented":
        (x, y), = _inside_points(mask, rng, 1, erode=10)
        r = _u(rng, 10, 13)
        ang = _u(rng, 0, 2 * math.pi)
        ux, uy = math.cos(ang), math.sin(ang)
        dx, dy = _X - x, _Y - y
        rr = np.sqrt(dx ** 2 + dy ** 2) / r
        proj = np.clip((dx * ux + dy * uy) / r, -1, 1)
        inside = np.clip((1.0 - rr) / 0.25, 0, 1)
        # a bowl lit from one side: dark crescent, bright crescent, dark rim on the lit side
        shade = np.clip(1.0 + 1.2 * proj, 0.2, 2.2)
        f = 1 + (shade - 1) * inside
        lift = (lum < 110) * 70.0 * np.clip(proj, 0, 1) * inside
        rgb = rgb * f[..., None] + lift[..., None]
        rim = np.exp(-((rr - 1.0) ** 2) / 0.012) * np.clip(-proj, 0, 1)
        rgb = rgb + 90 * (rim * mask)[..., None]
        rgb = rgb * (1 - 0.5 * (np.exp(-((rr - 1.0) ** 2) / 0.012) * np.clip(proj, 0, 1) * mask))[..., None]
        return rgb, mask
    if cond == "chipped":
        # erase a jagged bite from the part's outline, with a bright fresh-metal fringe
        m8 = Image.fromarray((mask * 255).astype(np.uint8))
        edge = np.asarray(m8.filter(ImageFilter.MaxFilter(3))).astype(np.float32) / 255 - np.asarray(m8.filter(ImageFilter.MinFilter(3))).astype(np.float32) / 255
        ys, xs = np.nonzero((edge > 0.5) & (mask > 0.5))
        # prefer outer-boundary points (far from the centre)
        dist = (xs - S / 2) ** 2 + (ys - S / 2) ** 2
        order = np.argsort(-dist)
        cand = order[: max(1, len(order) // 2)]
        i = cand[int(rng.integers(0, len(cand)))]
        x, y = float(xs[i]), float(ys[i])
        r = _u(rng, 9, 12)
        n = int(rng.integers(5, 8))
        poly = [(x + r * _u(rng, 0.6, 1.3) * math.cos(2 * math.pi * k / n), y + r * _u(rng, 0.6, 1.3) * math.sin(2 * math.pi * k / n)) for k in range(n)]
        bm = _mask_img(lambda d: d.polygon(poly, fill=255))
        bite = _arr(bm)
        fringe = _arr(bm.filter(ImageFilter.MaxFilter(5))) * (1 - bite) * mask
        rgb = rgb * (1 - 0.95 * fringe[..., None]) + 245 * 0.95 * fringe[..., None]
        mask = mask * (1 - bite)
        return rgb, mask
    raise ValueError(cond)


def apply_marks(marks, rgb, mask, rng):
    for mk in marks:
        (x, y), = _inside_points(mask, rng, 1, erode=7)
        lm = Image.new("L", (S, S), 0)
        d = ImageDraw.Draw(lm)
        if mk == "blue label":
            w, h = _u(rng, 9, 11), _u(rng, 6, 7)
            d.rectangle([x - w, y - h, x + w, y + h], fill=255)
            col = np.array([30, 95, 215], np.float32)
            a = _arr(lm) * mask
            rgb = rgb * (1 - a[..., None]) + col * a[..., None]
            tm = Image.new("L", (S, S), 0)
            ImageDraw.Draw(tm).line([(x - w + 3, y - 2), (x + w - 3, y - 2)], fill=255, width=1)
            ImageDraw.Draw(tm).line([(x - w + 3, y + 2), (x + w * 0.3, y + 2)], fill=255, width=1)
            t = _arr(tm) * mask
            rgb = rgb * (1 - t[..., None]) + 245 * t[..., None]
        elif mk == "red sticker":
            r = _u(rng, 6, 7.5)
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)
            a = _arr(lm) * mask
            rgb = rgb * (1 - a[..., None]) + np.array([215, 30, 35], np.float32) * a[..., None]
        else:
            raise ValueError(mk)
    return rgb


# ----------------------------------------------------------------------------- lighting

def apply_lighting(kind, img, rng):
    if kind == "bright":
        img = img * _u(rng, 1.08, 1.22) + _u(rng, 6, 16)
    elif kind == "dim":
        img = img * _u(rng, 0.36, 0.48) * np.array([0.92, 0.96, 1.1], np.float32)
        img = img + rng.normal(0, 3.0, img.shape).astype(np.float32)
    elif kind == "night":
        img = img * _u(rng, 0.16, 0.24) * np.array([0.8, 0.9, 1.25], np.float32)
        img = img + rng.normal(0, 5.0, img.shape).astype(np.float32)
    elif kind in ("glare", "strong glare"):
        strong = kind == "strong glare"
        nspots = 1 if not strong else int(rng.integers(1, 3))
        for _ in range(nspots):
            gx, gy = _u(rng, 20, 108), _u(rng, 20, 108)
            sig = _u(rng, 14, 22) if not strong else _u(rng, 20, 30)
            amp = _u(rng, 140, 200) if not strong else _u(rng, 180, 230)
            g = np.exp(-(((_X - gx) ** 2 + (_Y - gy) ** 2) / (2 * sig ** 2)))
            img = img + amp * g[..., None]
        img = img * _u(rng, 0.95, 1.05)
    elif kind in ("haze", "heavy haze"):
        a = _u(rng, 0.38, 0.5) if kind == "haze" else _u(rng, 0.62, 0.72)
        fog = np.array([206, 209, 214], np.float32)
        img = img * (1 - a) + fog * a
        im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.0 if kind == "haze" else 1.6))
        img = np.asarray(im).astype(np.float32)
    else:
        raise ValueError(kind)
    return img


# ----------------------------------------------------------------------------- composition

def _affine(src: Image.Image, angle, scale, tx, ty, resample):
    """Rotate by angle (rad) and scale around the centre, then translate by (tx, ty)."""
    c = S / 2
    ca, sa = math.cos(angle), math.sin(angle)
    # inverse map: p_in = c + (1/s) R^-1 (p_out - c - t)
    a, b = ca / scale, sa / scale
    d, e = -sa / scale, ca / scale
    ox, oy = c + tx, c + ty
    cc = c - a * ox - b * oy
    f = c - d * ox - e * oy
    return src.transform((S, S), Image.AFFINE, (a, b, cc, d, e, f), resample=resample)


def render(attrs: dict, rng) -> Image.Image:
    bg = draw_background(attrs["background"], rng)
    part = attrs["part"]
    if part in OBJECTS:
        rgb, mask = OBJECTS[part](rng)
        base = (128, 128, 128)
    else:
        mask, detail, _ = SHAPES[part](rng)
        base = np.array(MATERIAL_RGB[attrs["material"]], np.float32) + rng.normal(0, 7, 3).astype(np.float32)
        base = tuple(float(v) for v in np.clip(base, 0, 255))
        rgb = np.zeros((S, S, 3), np.float32) + np.array(base, np.float32)
        # lit from the top-left, material texture
        grad = 1.0 + 0.18 * ((S - _X - _Y) / S)
        rgb *= (grad * detail)[..., None]
        if attrs["material"] == "steel":
            rgb += rng.normal(0, 5, (S, 1, 1)).astype(np.float32)
        elif attrs["material"] == "brass":
            rgb += rng.normal(0, 3, (S, S, 1)).astype(np.float32)
        # bevelled edges
        m8 = Image.fromarray((mask * 255).astype(np.uint8))
        inner = _arr(m8.filter(ImageFilter.MinFilter(3)))
        edge = np.clip(mask - inner, 0, 1)
        rgb *= (1 - 0.35 * edge)[..., None]
        shift = np.roll(np.roll(mask, 2, 0), 2, 1)
        rim_light = np.clip(mask - shift, 0, 1)
        rgb += (45 * rim_light)[..., None]
        if attrs.get("condition") and attrs["condition"] != "none":
            rgb, mask = apply_condition(attrs["condition"], rgb, mask, base, rng)
        rgb = apply_marks(attrs.get("marks", []), rgb, mask, rng)
    rgb = np.clip(rgb, 0, 255)
    angle = _u(rng, 0, 2 * math.pi)
    scale = _u(rng, 0.78, 1.12)
    tx, ty = _u(rng, -14, 14), _u(rng, -14, 14)
    rgba = np.concatenate([rgb, (mask * 255)[..., None]], axis=2).astype(np.uint8)
    layer = _affine(Image.fromarray(rgba, "RGBA"), angle, scale, tx, ty, Image.BILINEAR)
    la = np.asarray(layer).astype(np.float32)
    alpha = la[..., 3:4] / 255.0
    # soft drop shadow
    sh = Image.fromarray(la[..., 3].astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))
    sh = np.roll(np.roll(np.asarray(sh).astype(np.float32) / 255.0, 4, 0), 3, 1)
    img = bg * (1 - 0.5 * sh[..., None])
    img = img * (1 - alpha) + la[..., :3] * alpha
    img = apply_lighting(attrs["lighting"], img, rng)
    # camera: colour jitter, noise, occasional blur
    img = img * rng.uniform(0.93, 1.07, 3).astype(np.float32)
    img = img + rng.normal(0, _u(rng, 2.0, 5.0), img.shape).astype(np.float32)
    out = Image.fromarray(np.clip(img, 0, 255).round().astype(np.uint8), "RGB")
    if rng.random() < 0.15:
        out = out.filter(ImageFilter.GaussianBlur(0.7))
    return out


def to_model_size(img: Image.Image) -> Image.Image:
    """What CLIPImageProcessor does with a 128 px square: bicubic resize of the shortest edge to 64."""
    if img.size == (MODEL_SIZE, MODEL_SIZE):
        return img
    return img.resize((MODEL_SIZE, MODEL_SIZE), Image.BICUBIC)
