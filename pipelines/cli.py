"""The `unirag` command line: ingest, query, ls, rm, eval, demo."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _pipeline(args, must_exist: bool = False):
    """A pipeline on --db; the encoder is --encoder, else the one the store was built with."""
    from pipelines.pipeline import DEFAULT_ENCODER, ENCODER_PRESETS, Pipeline

    store = _store(args, must_exist)
    if args.encoder is None:
        encoder = store.recorded_encoder() or DEFAULT_ENCODER
    elif args.encoder in ENCODER_PRESETS:
        encoder = ENCODER_PRESETS[args.encoder]
    elif args.encoder.lstrip().startswith("{"):
        encoder = json.loads(args.encoder)
    else:
        raise ValueError(f"--encoder: expected one of {sorted(ENCODER_PRESETS)} or a JSON config, "
                         f"got {args.encoder!r}")
    return Pipeline(db=args.db, chroma_url=args.chroma_url, encoder=encoder, workers=getattr(args, "workers", None),
                    generator=_generator_config(getattr(args, "generator", None)))


def _generator_config(value: str | None) -> dict | None:
    """--generator: a registered name (extractive, openai) or a JSON config with a "name" key."""
    if value is None:
        return None
    from rag.generation import GENERATORS

    config = json.loads(value) if value.lstrip().startswith("{") else {"name": value}
    if not isinstance(config, dict) or config.get("name") not in GENERATORS:
        raise ValueError(f"--generator: expected one of {sorted(GENERATORS)} or a JSON config with a "
                         f"\"name\" among them, got {value!r}")
    return config


def stream_answer(pipeline, question: str, query=None, top_k: int = 10, out=None):
    """Print the answer as the generator streams it, then its citations; returns the Answer."""
    from rag.types import Answer

    out = out or sys.stdout
    print(f"Q: {question}", file=out)
    print("A: ", end="", file=out, flush=True)
    streamed = ""
    for piece in pipeline.generator.stream(question, pipeline.retrieve(query or question, top_k)):
        if isinstance(piece, Answer):
            answer = piece
        else:
            streamed += piece
            print(piece, end="", file=out, flush=True)
    print(file=out)
    if streamed.strip() != answer.text:  # the generator withdrew the streamed reply
        print(f"A (final): {answer.text}", file=out)
    print_answer(answer, out=out, header=False)
    return answer


def print_answer(answer, out=sys.stdout, header: bool = True) -> None:
    if header:
        print(f"Q: {answer.question}", file=out)
        print(f"A: {answer.text}", file=out)
    if not answer.found:
        print("   (no supporting evidence retrieved)", file=out)
    for i, c in enumerate(answer.citations, 1):
        region = "" if c.bbox is None else " region (" + ", ".join(f"{v:.0f}" for v in c.bbox) + ")"
        crop = f" crop {c.source}" if c.source else ""
        print(f"   [{i}] {c.doc_id} p.{c.page} {c.modality}{region}{crop}", file=out)
    if answer.generator == "extractive":
        print("   (extractive answer from the retrieved evidence; no LLM was used)", file=out)


def print_report(report) -> None:
    for path, reason in report.failed:
        print(f"error: {path}: {reason}", file=sys.stderr)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"ingested {len(report.added)} document(s), {report.pages} pages, {report.chunks} chunks "
          f"in {report.seconds:.1f} s; {len(report.skipped)} unchanged, {len(report.failed)} failed")


def cmd_ingest(args) -> int:
    report = _pipeline(args).ingest(args.paths, progress=not args.quiet)
    print_report(report)
    return 0 if report.ok else 1


def cmd_query(args) -> int:
    if args.image and not Path(args.image).is_file():
        print(f"error: {args.image}: no such image file", file=sys.stderr)
        return 2
    pipeline = _pipeline(args, must_exist=True)
    if args.generator and not args.json:  # print the answer as it arrives
        from rag.types import Query

        image = Path(args.image).read_bytes() if args.image else None
        query = Query(text=args.text or "", image=image, modalities=tuple(args.modality or ()),
                      doc_ids=tuple(args.doc or ()))
        stream_answer(pipeline, args.text or "(image query)", query, top_k=args.k)
        return 0
    answer = pipeline.query(args.text or "", image=args.image, top_k=args.k,
                            modalities=args.modality or (), doc_ids=args.doc or ())
    if args.json:
        print(json.dumps({"answer": answer.text, "found": answer.found, "citations": [
            {"doc": c.doc_id, "page": c.page, "bbox": c.bbox, "modality": c.modality, "chunk": c.chunk_id}
            for c in answer.citations]}, ensure_ascii=False, indent=2))
    else:
        print_answer(answer)
    return 0


def _store(args, must_exist: bool = True):
    from rag.store import ChromaStore

    if must_exist and not args.chroma_url and not (Path(args.db) / "chroma").is_dir():
        raise ValueError(f"{args.db}: no unirag store here; run `unirag ingest FILES --db {args.db}` first")
    return ChromaStore(path=args.db, url=args.chroma_url)


def cmd_ls(args) -> int:
    docs = _store(args).docs()
    for doc_id, d in sorted(docs.items()):
        state = "" if d["chunks"] == d["expected"] else f"  INCOMPLETE ({d['expected']} expected)"
        print(f"{doc_id}\t{d['chunks']} chunks\t{d['source']}{state}")
    print(f"{len(docs)} document(s)")
    return 0


def cmd_rm(args) -> int:
    store = _store(args)
    known = store.docs()
    missing = [d for d in args.doc_ids if d not in known]
    for d in missing:
        print(f"error: {d}: no such document in {args.db} (see `unirag ls`)", file=sys.stderr)
    for d in args.doc_ids:
        if d in known:
            store.delete(d)
            print(f"removed {d} ({known[d]['chunks']} chunks and its crops)")
    return 1 if missing else 0


def cmd_eval(args) -> int:
    from eval.run import run_eval

    metrics = run_eval(_pipeline(args), args.docs, args.qa, args.out, image_qa=args.image_qa,
                       progress=not args.quiet)
    print(json.dumps({k: metrics[k] for k in ("retrieval", "ingest", "query_latency_ms")}, indent=2))
    print(f"wrote {Path(args.out) / 'metrics.json'}")
    return 0


def cmd_demo(args) -> int:
    from parsers.samples import SAMPLE_QUESTIONS, make_sample_docs

    folder = Path(args.db).parent / "sample_docs"
    paths = make_sample_docs(folder)
    print(f"sample documents: {', '.join(str(p) for p in paths)}")
    pipeline = _pipeline(args)
    print_report(pipeline.ingest(paths, progress=not args.quiet))
    for q in SAMPLE_QUESTIONS:
        print()
        if args.generator:
            stream_answer(pipeline, q["question"])
        else:
            print_answer(pipeline.query(q["question"]))
    return 0


GENERATOR_HELP = ("answer generator: extractive (default, no LLM), openai, or a JSON config, e.g. "
                  '\'{"name":"openai","base_url":"http://127.0.0.1:8080/v1","model":"m","style":"completion"}\'; '
                  "the answer is printed as it streams")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unirag", description="Multimodal RAG over PDFs, offline by default.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=".unirag", help="store folder (default: .unirag)")
    common.add_argument("--chroma-url", default=None, help="use a Chroma server, e.g. http://127.0.0.1:8000")
    common.add_argument("--encoder", default=None,
                        help="default (MiniLM text + visual channel), text, e5, hash, or a JSON config; "
                             "default: what the store was built with")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="parse, embed and store PDFs (files or folders)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--workers", type=int, default=None, help="parser processes (default: up to 2)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("query", parents=[common], help="answer a question with citations")
    p.add_argument("text", nargs="?", default="")
    p.add_argument("--image", help="query image (PNG/JPEG), alone or with text")
    p.add_argument("-k", type=int, default=10, help="chunks to retrieve as evidence (default 10)")
    p.add_argument("--modality", action="append", help="only these chunk kinds (repeatable)")
    p.add_argument("--doc", action="append", help="only these document ids (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--generator", default=None, help=GENERATOR_HELP)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("ls", parents=[common], help="list stored documents")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("rm", parents=[common], help="delete documents with all their chunks and crops")
    p.add_argument("doc_ids", nargs="+", metavar="DOC")
    p.set_defaults(func=cmd_rm)

    p = sub.add_parser("eval", parents=[common], help="score retrieval on a QA set; writes OUT/metrics.json")
    p.add_argument("--docs", required=True, help="folder of PDFs (document id = file stem)")
    p.add_argument("--qa", required=True, help="QA JSONL file")
    p.add_argument("--image-qa", default=None, help="image-query JSONL file")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("demo", parents=[common], help="ingest generated sample documents and answer questions")
    p.add_argument("--generator", default=None, help=GENERATOR_HELP)
    p.set_defaults(func=cmd_demo)
    return ap


def main(argv: list[str] | None = None) -> int:
    from rag.generation import GenerationError

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.command == "query" and not (args.text or args.image):
        print("error: give a question, an --image, or both", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ImportError, GenerationError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
