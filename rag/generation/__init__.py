"""Answer generators by short name. `extractive` needs no LLM (the offline default);
`openai` talks to any OpenAI-compatible server."""
from unirag.rag.factory import build
from unirag.rag.generation.base import Generator
from unirag.rag.generation.context import Context, Source, build_context, estimate_tokens
from unirag.rag.generation.extractive import NOT_FOUND, ExtractiveAnswerer, citation
from unirag.rag.generation.openai_chat import GenerationError, OpenAIGenerator

GENERATORS = {
    "extractive": "unirag.rag.generation.extractive.ExtractiveAnswerer",
    "openai": "unirag.rag.generation.openai_chat.OpenAIGenerator",
}


def make_generator(name: str = "extractive", **options):
    return build("generator", name, GENERATORS, **options)


__all__ = ["Context", "ExtractiveAnswerer", "GenerationError", "Generator", "GENERATORS", "NOT_FOUND",
           "OpenAIGenerator", "Source", "build_context", "citation", "estimate_tokens", "make_generator"]
