"""MNIST-shaped synthetic digits: 28x28 images of seven-segment numerals, no download.

Each image lights its digit's segments with strokes of random thickness and brightness, under a
random rotation, scale and shift, with the segments' ends jittered and Gaussian pixel noise on
top. Same seed, same images. Learnable, yet not trivially: 8 and 0, 6 and 5, 9 and 3 differ by
one segment, and the jitter moves every stroke by a few pixels.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
# Segment ends in a unit box, x to the right and y down: a top, b upper right, c lower right,
# d bottom, e lower left, f upper left, g middle.
SEGMENTS = {
    "a": ((0.0, 0.0), (1.0, 0.0)),
    "b": ((1.0, 0.0), (1.0, 0.5)),
    "c": ((1.0, 0.5), (1.0, 1.0)),
    "d": ((0.0, 1.0), (1.0, 1.0)),
    "e": ((0.0, 0.5), (0.0, 1.0)),
    "f": ((0.0, 0.0), (0.0, 0.5)),
    "g": ((0.0, 0.5), (1.0, 0.5)),
}
LIT = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]
_ENDS = np.array([SEGMENTS[name] for name in "abcdefg"])  # (7, 2 ends, 2 coordinates)
_MASKS = np.array([[name in lit for name in "abcdefg"] for lit in LIT])  # (10 digits, 7)


def make_digits(
    n_samples: int, seed: int = 0, noise: float = 0.15
) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` images as rows of 784 pixels in [0, 1], and their labels 0..9."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n_samples)
    images = np.concatenate(
        [_draw(labels[i:i + 500], rng) for i in range(0, n_samples, 500)]
    ) if n_samples else np.zeros((0, SIDE * SIDE))
    images = np.clip(images + rng.normal(0.0, noise, images.shape), 0.0, 1.0)
    return images, labels


def _draw(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    # Segment ends jittered, then the box (10 wide, 16 tall) scaled, rotated and moved.
    ends = _ENDS[None] + rng.normal(0.0, 0.04, (n, 7, 2, 2))
    ends = (ends - 0.5) * np.array([10.0, 16.0])
    angle = rng.uniform(-0.2, 0.2, n)
    scale = rng.uniform(0.8, 1.1, n)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    ends = np.einsum("nij,nsej->nsei", rotation, ends)
    ends += (SIDE - 1) / 2 + rng.uniform(-2.0, 2.0, (n, 1, 1, 2))
    start, end = ends[:, :, 0], ends[:, :, 1]  # (n, 7, 2)
    # Each pixel's distance to each segment; a stroke fades out over one pixel at its edge.
    ys, xs = np.mgrid[0:SIDE, 0:SIDE]
    pixels = np.stack([xs.ravel(), ys.ravel()], -1).astype(float)  # (784, 2)
    direction = end - start
    length2 = np.maximum(np.sum(direction**2, -1), 1e-9)
    offset = pixels[None, None] - start[:, :, None]  # (n, 7, 784, 2)
    along = np.clip(np.sum(offset * direction[:, :, None], -1) / length2[:, :, None], 0.0, 1.0)
    distance = np.linalg.norm(offset - along[..., None] * direction[:, :, None], axis=-1)
    thickness = rng.uniform(0.7, 1.4, (n, 1, 1))
    brightness = rng.uniform(0.7, 1.0, (n, 1, 1))
    strokes = np.clip(thickness + 0.5 - distance, 0.0, 1.0) * brightness
    strokes *= _MASKS[labels][:, :, None]
    return strokes.max(axis=1)
