"""Answer generators by short name. `extractive` needs no LLM (the offline default);
`openai` talks to any OpenAI-compatible server."""
from unirag.rag.factory import build, from_config
from unirag.rag.generation.base import Generator
from unirag.rag.generation.context import Context, Source, build_context, estimate_tokens
from unirag.rag.generation.extractive import NOT_FOUND, ExtractiveAnswerer, citation
from unirag.rag.generation.openai_chat import GenerationError, OpenAIGenerator

GENERATORS = {
    "extractive": "unirag.rag.generation.extractive.ExtractiveAnswerer",
    "openai": "unirag.rag.generation.openai_chat.OpenAIGenerator",
}


def make_generator(name: str = "extractive", **options) -> Generator:
    return build("generator", name, GENERATORS, options)


def generator_from_dict(config: dict, allow_imports: bool = False) -> Generator:
    """Rebuild a generator from its config; dotted class paths only with `allow_imports`."""
    return from_config("generator", config, GENERATORS, allow_imports)


__all__ = ["Context", "ExtractiveAnswerer", "GenerationError", "Generator", "GENERATORS", "NOT_FOUND",
           "OpenAIGenerator", "Source", "build_context", "citation", "estimate_tokens", "generator_from_dict", "make_generator"]
