"""Text helpers shared by keyword search, encoders and the answerer: tokenising (Latin
words plus CJK characters and bigrams) and splitting long text into windows."""
from __future__ import annotations

import functools
import re

import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be been this that these "
    "those it its as what which who whom how why when where does do did than then into over "
    "under about between per vs via can could should would will shall may might not no".split()
)


_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of a Latin word: delivered -> deliv, batteries -> batteri."""
    return _STEMMER.stemWord(word) if word.isalpha() and len(word) > 3 else word


def tokenize(text: str, stopwords: bool = True) -> list[str]:
    """Lower-cased, lightly stemmed Latin/number tokens, and for CJK runs every character
    plus every bigram.

    >>> tokenize("The GRPO losses (3) 提升效率")
    ['grpo', 'loss', '3', '提', '升', '效', '率', '提升', '升效', '效率']
    >>> tokenize("delivered deliver")
    ['deliv', 'deliv']
    """
    out: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        if _CJK.match(tok):
            out.extend(tok)
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        elif not (stopwords and tok in STOPWORDS):
            out.append(stem(tok))
    return out


def is_cjk_char(token: str) -> bool:
    """Whether a token is a single CJK character (as `tokenize` emits besides bigrams).

    >>> [is_cjk_char(t) for t in ("提", "提升", "a")]
    [True, False, False]
    """
    return len(token) == 1 and bool(_CJK.match(token))


def windows(text: str, size: int = 800, overlap: int = 100) -> list[str]:
    """Split text into overlapping character windows so encoders never silently truncate."""
    text = " ".join(text.split())
    if len(text) <= size:
        return [text]
    step = size - overlap
    return [text[i : i + size] for i in range(0, len(text) - overlap, step)]


def cjk_share(text: str) -> float:
    """Share of non-space characters that are CJK ideographs.

    >>> round(cjk_share("问题二 damping"), 2)
    0.3
    """
    chars = [ch for ch in text if not ch.isspace()]
    return sum(bool(_CJK.match(ch)) for ch in chars) / len(chars) if chars else 0.0
