"""Procedurally generated captioned scenes: coloured shapes on coloured backgrounds, 64x64.

Every attribute is drawn from a seeded numpy generator, so the data set is a pure function of the
seed. Captions name the shape colour and shape always, and size, position and background colour
most of the time (an attribute left out is still drawn at random), so partial prompts work too.
"""
import numpy as np

SIZE = 64
COLORS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
}
SHAPES = ["circle", "square", "triangle"]
SIZES = {"small": 7, "large": 12}  # half-width in pixels
POSITIONS = {
    "top left": (16, 16),
    "top right": (48, 16),
    "bottom left": (16, 48),
    "bottom right": (48, 48),
    "center": (32, 32),
}
COUNT_WORDS = {1: "a", 2: "two"}


def is_held_out(color, shape, background):
    """Colour/shape/background triples never seen in training (about 1 in 8), for evaluation."""
    ci, si, bi = list(COLORS).index(color), SHAPES.index(shape), list(COLORS).index(background)
    return (ci * 3 + si * 5 + bi * 7) % 8 == 3


def draw_shape(image, shape, center, half, rgb):
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    cx, cy = center
    if shape == "circle":
        inside = (xs - cx) ** 2 + (ys - cy) ** 2 <= half * half
    elif shape == "square":
        inside = (abs(xs - cx) <= half) & (abs(ys - cy) <= half)
    else:  # upward triangle inside the square of side 2 * half
        top, bottom = cy - half, cy + half
        rel = (ys - top) / max(1, bottom - top)
        inside = (ys >= top) & (ys <= bottom) & (abs(xs - cx) <= rel * half)
    image[inside] = rgb


def sample_scene(rng, allow_held_out=False):
    """One scene: (uint8 image [64, 64, 3], caption, attributes)."""
    names = list(COLORS)
    while True:
        color, background = rng.choice(names, 2, replace=False)
        shape = SHAPES[rng.integers(len(SHAPES))]
        if allow_held_out or not is_held_out(color, shape, background):
            break
    size = list(SIZES)[rng.integers(2)]
    count = 1 if rng.random() < 0.8 else 2
    image = np.empty((SIZE, SIZE, 3), np.uint8)
    image[:] = COLORS[background]
    if count == 1:
        position = list(POSITIONS)[rng.integers(len(POSITIONS))]
        centers = [POSITIONS[position]]
    else:
        position = None
        centers = [(16, 32), (48, 32)] if rng.random() < 0.5 else [(32, 16), (32, 48)]
    for center in centers:
        jitter = rng.integers(-2, 3, size=2)
        draw_shape(image, shape, (center[0] + jitter[0], center[1] + jitter[1]), SIZES[size], COLORS[color])
    attributes = dict(color=color, shape=shape, background=background, size=size, position=position, count=count)
    return image, caption(attributes, rng), attributes


def caption(a, rng=None, full=False):
    """'a small red circle in the top left on a blue background' with optional parts dropped."""
    keep = (lambda p: True) if full or rng is None else (lambda p: rng.random() < p)
    words = [COUNT_WORDS[a["count"]]]
    if keep(0.7):
        words.append(a["size"])
    words.append(a["color"])
    words.append(a["shape"] + ("s" if a["count"] == 2 else ""))
    if a["position"] and keep(0.8):
        words.append("in the " + a["position"])
    if keep(0.8):
        words.append("on a " + a["background"] + " background")
    return " ".join(words)


def vocabulary_words():
    words = set(COUNT_WORDS.values()) | set(SIZES) | set(COLORS) | {"in", "the", "on", "background"}
    words |= set(SHAPES) | {s + "s" for s in SHAPES}
    for position in POSITIONS:
        words |= set(position.split())
    return sorted(words)
