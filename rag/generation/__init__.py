"""Answer generators by short name. `extractive` needs no LLM (the offline default)."""
from rag.factory import build
from rag.generation.base import Generator
from rag.generation.extractive import NOT_FOUND, ExtractiveAnswerer, citation

GENERATORS = {"extractive": "rag.generation.extractive.ExtractiveAnswerer"}


def make_generator(name: str = "extractive", **options):
    return build("generator", name, GENERATORS, **options)


__all__ = ["ExtractiveAnswerer", "Generator", "GENERATORS", "NOT_FOUND", "citation", "make_generator"]
