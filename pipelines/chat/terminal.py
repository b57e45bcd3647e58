"""A terminal chat loop for people without a browser: questions from a stream (stdin) until
EOF or `quit`, answers printed as they stream, then their citations.

>>> import io
>>> from unirag.rag.generation import ExtractiveAnswerer
>>> from unirag.rag.types import Chunk, Hit
>>> class Tiny:  # anything with stream(), like Pipeline
...     def stream(self, text, top_k=10):
...         hits = [Hit(Chunk(doc_id="d", modality="text", page=2, text="The pack stores 12 kWh."), 1.0)]
...         return ExtractiveAnswerer().stream(text, hits)
>>> out = io.StringIO()
>>> TerminalChat(Tiny()).run(io.StringIO("What does the pack store?\\nquit\\n"), out)
1
>>> print(out.getvalue().strip())
Q: What does the pack store?
A: 12 kWh — The pack stores 12 kWh. [d p.2]
   [1] d p.2 text
   (extractive answer from the retrieved evidence; no LLM was used)
"""
from __future__ import annotations

from typing import TextIO

from unirag.pipelines.console import print_stream

QUIT = ("quit", "exit", ":q")


class TerminalChat:
    """Reads questions line by line and streams each answer; `run()` returns how many it answered."""

    def __init__(self, pipeline, top_k: int = 10, prompt: str = "? "):
        self.pipeline = pipeline
        self.top_k = int(top_k)
        self.prompt = prompt

    def run(self, inp: TextIO, out: TextIO) -> int:
        interactive = inp.isatty()
        answered = 0
        while True:
            if interactive:
                print(self.prompt, end="", file=out, flush=True)
            line = inp.readline()
            if not line or line.strip().lower() in QUIT:
                return answered
            question = line.strip()
            if not question:
                continue
            self._answer(question, out)
            answered += 1
            print(file=out, flush=True)

    def _answer(self, question: str, out: TextIO) -> None:
        try:
            print_stream(self.pipeline.stream(question, top_k=self.top_k), question, out)
        except Exception as e:  # one failed question must not end the session
            print(f"\nerror: {type(e).__name__}: {e}", file=out, flush=True)
