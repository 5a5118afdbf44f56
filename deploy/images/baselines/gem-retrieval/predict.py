"""ForgeryBench baseline "gem-retrieval": regional GeM descriptors and cosine ranking.

Every image becomes a stack of simple non-negative feature maps: eight oriented-gradient
channels (the gradient magnitude split by orientation, as in HOG) and three colour channels
(opponent colour, shifted to be non-negative). Generalised-mean pooling (GeM, p = 3; Radenovic
et al., 2018) over the whole image and over a grid of overlapping regions at two scales (as in
R-MAC) gives L2-normalised descriptors. A query is compared with a gallery image by the best
cosine over pairs of their regions, so a small spliced patch can match the region of the
donor it came from; the gallery is ranked by that similarity. Training-free.

Built on the starter kit (forgerybench_starter). Runs on Debian bookworm's python3 (3.11),
NumPy 1.24 and Pillow 9.4.
"""

import numpy as np
from forgerybench_starter import run
from forgerybench_starter.loading import load_rgb

P = 3.0
ORIENTATIONS = 8
SCALES = (1, 3, 4)  # regions per side: whole image, 3 x 3 and 4 x 4 overlapping windows
MAX_RANKING = 100


def feature_maps(rgb):
    """(H, W, ORIENTATIONS + 3) non-negative features."""
    x = rgb.astype(np.float64) / 255.0
    gray = x.mean(axis=2)
    gy, gx = np.gradient(gray)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned orientation
    index = np.minimum((angle / np.pi * ORIENTATIONS).astype(int), ORIENTATIONS - 1)
    oriented = np.zeros((*gray.shape, ORIENTATIONS))
    np.put_along_axis(oriented, index[..., None], magnitude[..., None], axis=2)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    colour = np.stack([(r - g + 1) / 2, (r + g - 2 * b + 2) / 4, gray], axis=2)
    return np.concatenate([4.0 * oriented, colour], axis=2)


def regions(height, width):
    """[y0, y1, x0, x1] windows: for s per side, side 2/(s+1) of the image, 50 % overlap."""
    out = []
    for s in SCALES:
        h, w = max(1, round(2 * height / (s + 1))), max(1, round(2 * width / (s + 1)))
        for i in range(s):
            for j in range(s):
                y0 = round(i * (height - h) / max(1, s - 1))
                x0 = round(j * (width - w) / max(1, s - 1))
                out.append((y0, y0 + h, x0, x0 + w))
    return out


def descriptors(rgb):
    """(regions, channels) L2-normalised GeM descriptors of one image."""
    maps = feature_maps(rgb) + 1e-6
    powered = maps**P
    rows = []
    for y0, y1, x0, x1 in regions(*maps.shape[:2]):
        rows.append(powered[y0:y1, x0:x1].mean(axis=(0, 1)) ** (1.0 / P))
    d = np.array(rows)
    d -= d.mean(axis=1, keepdims=True)  # centre each descriptor: cosine of shapes, not levels
    return d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-12)


def rank(query, gallery_ids, gallery):
    """Gallery ids by the best region-to-region cosine with the query, best first."""
    sims = np.array([float((query @ g.T).max()) for g in gallery])
    order = np.argsort(-sims, kind="stable")[:MAX_RANKING]
    return [gallery_ids[i] for i in order]


class Ranker:
    def __init__(self):
        self.gallery_ids = None
        self.gallery = None

    def __call__(self, batch):
        if self.gallery is None:  # the gallery is described once, on the first batch
            self.gallery_ids = [s.id for s in batch.gallery]
            self.gallery = [descriptors(load_rgb(s.path)) for s in batch.gallery]
        return [rank(descriptors(rgb), self.gallery_ids, self.gallery) for rgb in batch.images]


if __name__ == "__main__":
    raise SystemExit(run(Ranker(), batch_size=32))
