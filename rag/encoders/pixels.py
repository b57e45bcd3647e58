"""A visual channel without model weights: a global descriptor of an image's pixels
(layout thumbnail + colour histogram). It matches a cropped chart to the chart it came from;
it knows nothing of meaning. Chunks without an image, and text-only queries, get a zero
vector, so inside a `composite` encoder this channel only speaks when there is a picture."""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, decoded_crops
from unirag.rag.types import Chunk, Query

THUMB = 16
HUE_BINS = 12
GRAY_BINS = 4


def describe(image: bytes) -> np.ndarray:
    """Unit-length descriptor of a PNG/JPEG: a mean-centred 16x16 grey thumbnail of the inked
    area and a hue/grey histogram, each half of the weight."""
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        im.draft("RGB", (512, 512))
        rgb = np.asarray(im.convert("RGB").resize((256, 256) if max(im.size) > 1024 else im.size), np.float32) / 255
    # channel-wise min/max/sum on whole planes: numpy's reductions over a last axis of 3 are slow
    mn = np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    ink = mn < 0.92
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        rgb = rgb[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
        mn = mn[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    gray = (r + g + b) / np.float32(3)
    thumb = np.asarray(Image.fromarray((gray * 255).astype(np.uint8)).resize((THUMB, THUMB), Image.Resampling.BILINEAR),
                       np.float32).ravel()
    thumb -= thumb.mean()
    mx = np.maximum(np.maximum(r, g), b)
    sat = (mx - mn) / np.maximum(mx, 1e-6)
    colour = (sat > 0.25) & (mx > 0.2)
    r, g, b = r[colour], g[colour], b[colour]
    hue = np.degrees(np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)) % 360
    hist = np.concatenate([np.histogram(hue, HUE_BINS, (0, 360))[0],
                           np.histogram(gray[~colour], GRAY_BINS, (0, 1))[0]]).astype(np.float32)
    hist = np.sqrt(hist / max(hist.sum(), 1.0))
    if not thumb.any() and not hist.any():
        return np.zeros(THUMB * THUMB + HUE_BINS + GRAY_BINS, np.float32)
    vec = np.concatenate([thumb / (np.linalg.norm(thumb) or 1), hist / (np.linalg.norm(hist) or 1)])
    return (vec / np.linalg.norm(vec)).astype(np.float32)


class PixelEncoder(Encoder):
    """Image descriptors for chunks with a crop and for image queries; zeros otherwise.

    >>> bool(PixelEncoder().embed_query(Query(text="no picture")).any())
    False
    """

    name = "pixels"

    @property
    def dim(self) -> int:
        return THUMB * THUMB + HUE_BINS + GRAY_BINS

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        out = np.zeros((len(chunks), self.dim), np.float32)
        rows, described = decoded_crops(chunks, describe, lambda c: c.modality != "formula")
        if rows:
            out[rows] = described
        return out

    def embed_query(self, query: Query) -> np.ndarray:
        if not query.image:
            return np.zeros(self.dim, np.float32)
        try:
            return describe(query.image)
        except Exception as e:
            raise ValueError(f"query image: cannot decode it as PNG/JPEG ({type(e).__name__}: {e})") from e

    def to_dict(self) -> dict:
        return {"name": self.name}
