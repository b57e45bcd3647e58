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
    parser = {"name": "pymupdf", "password": args.password} if getattr(args, "password", None) else None
    return Pipeline(db=args.db, chroma_url=args.chroma_url, encoder=encoder, parser=parser,
                    workers=getattr(args, "workers", None))


def print_answer(answer, out=sys.stdout) -> None:
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


def _printable(text: str) -> str:
    """Undecodable bytes in file names (lone surrogates) shown as escapes instead of crashing print."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def print_report(report) -> None:
    for path, reason in report.failed:
        print(_printable(f"error: {path}: {reason}"), file=sys.stderr)
    for w in report.warnings:
        print(_printable(f"warning: {w}"), file=sys.stderr)
    print(f"ingested {len(report.added)} document(s), {report.pages} pages, {report.chunks} chunks "
          f"in {report.seconds:.1f} s; {len(report.skipped)} unchanged, {len(report.failed)} failed")


def cmd_ingest(args) -> int:
    pipeline = _pipeline(args)
    if args.ray is not None:
        from pipelines.distributed import RayIngestor

        ingestor = RayIngestor(pipeline.store, pipeline.encoder, pipeline.config["parser"], address=args.ray or None)
        report = ingestor.run(args.paths, progress=not args.quiet)
    else:
        report = pipeline.ingest(args.paths, progress=not args.quiet)
    print_report(report)
    return 0 if report.ok else 1


def cmd_query(args) -> int:
    if args.image and not Path(args.image).is_file():
        print(f"error: {args.image}: no such image file", file=sys.stderr)
        return 2
    try:
        answer = _pipeline(args, must_exist=True).query(args.text or "", image=args.image, top_k=args.k,
                                                        modalities=args.modality or (), doc_ids=args.doc or ())
    except ValueError as e:
        if args.image and str(e).startswith("query image"):
            raise ValueError(f"{args.image}: {e}") from e
        raise
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
        state = "" if d["complete"] else f"  INCOMPLETE ({d['expected']} expected)"
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
        print_answer(pipeline.query(q["question"]))
    return 0


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
    p.add_argument("--password", default=None, help="password for encrypted PDFs (tried on each encrypted file)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="parse and embed on a Ray cluster (needs unirag[distributed]): no ADDRESS starts a "
                        "local instance, or 'auto', or ray://HOST:10001; put it after the paths")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("query", parents=[common], help="answer a question with citations")
    p.add_argument("text", nargs="?", default="")
    p.add_argument("--image", help="query image (PNG/JPEG), alone or with text")
    p.add_argument("-k", type=int, default=10, help="chunks to retrieve as evidence (default 10)")
    p.add_argument("--modality", action="append", help="only these chunk kinds (repeatable)")
    p.add_argument("--doc", action="append", help="only these document ids (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
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
    p.set_defaults(func=cmd_demo)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.command == "query" and not (args.text or args.image):
        print("error: give a question, an --image, or both", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
