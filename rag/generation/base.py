"""The generator interface: evidence hits in, a cited `Answer` out, optionally streamed.

`stream()` yields the answer text in pieces (str) and, last, the final `Answer` (with its
citations). Callers that only want the answer call `generate()`. The final `Answer` is what
counts: a generator that checks the streamed reply afterwards and rejects it (say, an LLM
reply not grounded in the sources) returns `found=False` with a different text, which
callers that printed the pieces should show.

>>> from unirag.rag.generation.extractive import ExtractiveAnswerer
>>> from unirag.rag.types import Chunk, Hit
>>> hit = Hit(Chunk(doc_id="d", modality="text", page=2, text="The pack stores 12 kWh."), 1.0)
>>> parts = list(ExtractiveAnswerer().stream("What does the pack store?", [hit]))
>>> "".join(p for p in parts if isinstance(p, str)) == parts[-1].text
True
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from unirag.rag.types import Answer, Hit


class Generator(ABC):
    name: str = ""

    @abstractmethod
    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer `question` from `hits` only, citing them; `found=False` when they do not answer it."""

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str | Answer]:
        """Yield text pieces, then the final `Answer`. The default yields the whole text at once."""
        answer = self.generate(question, hits)
        yield answer.text
        yield answer

    @abstractmethod
    def to_dict(self) -> dict: ...
