"""The `unirag` command line: ingest, query, search, ls, rm, eval, bench, demo, chat, init."""
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
    from unirag.pipelines.pipeline import DEFAULT_ENCODER, ENCODER_PRESETS, Pipeline

    store = _store(args, must_exist)
    config = dict(args.config_data)
    if args.encoder is None:  # what the store recorded is data: registered encoders only
        encoder = config.get("encoder") or store.recorded_encoder() or DEFAULT_ENCODER
    elif args.encoder in ENCODER_PRESETS:
        encoder = ENCODER_PRESETS[args.encoder]
    elif args.encoder.lstrip().startswith("{"):
        encoder = json.loads(args.encoder)
    else:
        raise ValueError(f"--encoder: expected one of {sorted(ENCODER_PRESETS)} or a JSON config, "
                         f"got {args.encoder!r}")
    config.update(db=args.db, chroma_url=args.chroma_url, encoder=encoder)
    if args.allow_imports:
        config["allow_imports"] = True
    if getattr(args, "workers", None) is not None:
        config["workers"] = args.workers
    generator = generator_config(getattr(args, "generator", None))
    if generator is not None:
        config["generator"] = generator
    if getattr(args, "password", None):
        config["parser"] = {**(config.get("parser") or {"name": "pymupdf"}), "password": args.password}
    config.update(_reranker(getattr(args, "reranker", None)))
    return Pipeline.from_dict(config)


def _reranker(value: str | None) -> dict:
    """--reranker NAME, a JSON config, or `none`; absent: the Pipeline's default."""
    if value is None:
        return {}
    if value == "none":
        return {"reranker": None}
    if value.lstrip().startswith("{"):
        return {"reranker": json.loads(value)}
    from unirag.rag.rerank import RERANKERS

    if value not in RERANKERS:
        raise ValueError(f"--reranker: expected one of {sorted(RERANKERS) + ['none']} or a JSON config, got {value!r}")
    return {"reranker": {"name": value}}


def generator_config(value: str | None) -> dict | None:
    """--generator: a registered name (extractive, openai) or a JSON config with a "name" key
    (None: the pipeline's default); a dotted class path is left to the pipeline, which imports it
    only with --allow-imports.

    >>> generator_config("extractive"), generator_config('{"name": "extractive", "max_hits": 3}')
    ({'name': 'extractive'}, {'name': 'extractive', 'max_hits': 3})
    """
    if value is None:
        return None
    from unirag.rag.generation import GENERATORS

    config = json.loads(value) if value.lstrip().startswith("{") else {"name": value}
    name = config.get("name") if isinstance(config, dict) else None
    if not (name in GENERATORS or (isinstance(name, str) and "." in name)):
        unknown = f"Unknown generator {config['name']!r}; " if isinstance(config, dict) and "name" in config else ""
        raise ValueError(f"{unknown}--generator: expected one of {sorted(GENERATORS)} or a JSON config with a "
                         f"'name' among them, got {value!r}")
    return config


def cmd_ingest(args) -> int:
    from unirag.pipelines.console import print_report

    pipeline = _pipeline(args)
    if args.ray is not None:
        from unirag.pipelines.distributed import RayIngestor

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
    with _pipeline(args, must_exist=True) as pipeline:  # closed: no worker thread outlives the answer
        return _answer(args, pipeline)


def _answer(args, pipeline) -> int:
    if args.generator and not args.json:  # print the answer as it arrives
        from unirag.pipelines.console import print_stream

        pieces = pipeline.stream(args.text or "", image=args.image, top_k=args.k,
                                 modalities=args.modality or (), doc_ids=args.doc or ())
        print_stream(pieces, args.text or "(image query)")
        return 0
    try:
        answer = pipeline.query(args.text or "", image=args.image, top_k=args.k,
                                modalities=args.modality or (), doc_ids=args.doc or ())
    except ValueError as e:
        if args.image and str(e).startswith("query image"):
            raise ValueError(f"{args.image}: {e}") from e
        raise
    if args.json:
        from unirag.pipelines.console import hit_json

        print(json.dumps({"answer": answer.text, "short": answer.short, "status": answer.status,
                          "found": answer.found, "citations": [
            {"doc": c.doc_id, "page": c.page, "bbox": c.bbox, "modality": c.modality, "chunk": c.chunk_id}
            for c in answer.citations], "evidence": [hit_json(h, i) for i, h in enumerate(answer.hits, 1)]},
            ensure_ascii=False, indent=2))
    else:
        from unirag.pipelines.console import print_answer

        print_answer(answer)
    return 0


def cmd_search(args) -> int:
    from unirag.pipelines.console import hit_json, print_hits

    if args.image and not Path(args.image).is_file():
        print(f"error: {args.image}: no such image file", file=sys.stderr)
        return 2
    pipeline = _pipeline(args, must_exist=True)
    hits = pipeline.search(args.text or "", image=args.image, top_k=args.k, modalities=args.modality or (),
                           doc_ids=args.doc or ())
    if args.json:
        print(json.dumps([hit_json(h, i) for i, h in enumerate(hits, 1)], ensure_ascii=False, indent=2))
    else:
        print_hits(hits)
        print(f"{len(hits)} hit(s)")
    return 0


def _store(args, must_exist: bool = True):
    from unirag.rag.store import ChromaStore

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
    if len(missing) < len(args.doc_ids):
        from unirag.rag.retrieval import KeywordIndex

        KeywordIndex(store).update()  # rewritten now, so the next query only loads it
    return 1 if missing else 0


def cmd_eval(args) -> int:
    from unirag.eval.run import run_eval

    if args.beir or args.pages:
        from unirag.eval.formats import run_format

        res = run_format(_pipeline(args), args.out, beir=args.beir, pages=args.pages, progress=not args.quiet)
        print(json.dumps(res["retrieval"], indent=2))
        print(f"wrote {Path(args.out) / 'metrics.json'}")
        return 0
    if not (args.docs and args.qa):
        raise ValueError("eval: expected --docs and --qa (or --beir DIR / --pages FILE)")

    metrics = run_eval(_pipeline(args), args.docs, args.qa, args.out, image_qa=args.image_qa,
                       progress=not args.quiet, baselines=tuple(args.baseline or ()), compare=args.compare)
    print(json.dumps({k: metrics[k] for k in ("retrieval", "ingest", "warm_up_ms", "query_latency_ms",
                                              "image_query_latency_ms")}, indent=2))
    for name, ret in metrics["baselines"].items():
        print(f"baseline {name}: " + json.dumps(ret["ALL"]))
    print(f"wrote {Path(args.out) / 'metrics.json'} and {Path(args.out) / 'report.md'}")
    return 0


def cmd_bench(args) -> int:
    from unirag.eval.bench import main as bench_main

    argv = ["--docs", args.docs] if args.docs else ["--db", args.db]  # no --docs: cold queries on the store
    argv += ["--workers", str(args.workers or 2)]
    argv += ["--encoder", args.encoder] if args.encoder else []
    argv += (["--qa", args.qa] if args.qa else []) + (["--json", args.json] if args.json else [])
    argv += ["--no-llama"] if args.no_llama else []
    return bench_main(argv)


def cmd_demo(args) -> int:
    from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs
    from unirag.pipelines.console import print_answer, print_report, print_stream

    folder = Path(args.db).parent / "sample_docs"
    paths = make_sample_docs(folder)
    print(f"sample documents: {', '.join(str(p) for p in paths)}")
    pipeline = _pipeline(args)
    print_report(pipeline.ingest(paths, progress=not args.quiet))
    for q in SAMPLE_QUESTIONS:
        print()
        if args.generator:
            print_stream(pipeline.stream(q["question"]), q["question"])
        else:
            print_answer(pipeline.query(q["question"]))
    return 0


def cmd_samples(args) -> int:
    from unirag.parsers.samples import make_sample_set

    made = make_sample_set(args.folder)
    for name, path in made.items():
        print(f"{name}: {path}")
    return 0


def cmd_init(args) -> int:
    from unirag.pipelines.config import DEFAULT_CONFIG

    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"error: {path}: exists; pass --force to overwrite", file=sys.stderr)
        return 2
    path.write_text(DEFAULT_CONFIG, encoding="utf-8")
    print(f"wrote {path}; use it with `unirag COMMAND --config {path}` or Pipeline.from_config({str(path)!r})")
    return 0


def cmd_chat(args) -> int:
    from unirag.pipelines.chat import TerminalChat, create_app, is_loopback, serve
    from unirag.pipelines.chat.uploads import UploadPolicy

    pipeline = _pipeline(args)
    if args.cli:
        TerminalChat(pipeline, top_k=args.k).run(sys.stdin, sys.stdout)
        return 0
    uploads = UploadPolicy(Path(args.db) / "uploads", max_bytes=int(args.max_upload_mb * (1 << 20)),
                           max_pages=args.max_pages)
    app = create_app(pipeline, uploads=uploads, allowed_hosts=[args.host, *args.allow_host])
    if not is_loopback(args.host):
        print(f"warning: serving on {args.host}: anyone who can reach it can read and upload documents; "
              "the page answers to localhost, 127.0.0.1, [::1], the --host value and --allow-host names",
              file=sys.stderr)
    print(f"unirag chat on http://{args.host}:{args.port}/ (store {args.db}; Ctrl-C stops)", flush=True)
    serve(app, host=args.host, port=args.port)
    return 0


RERANKER_HELP = "features, crossencoder (JSON with a model), none, or a JSON config; default: the pipeline's"

GENERATOR_HELP = ("answer generator: extractive (default, no LLM), openai, or a JSON config, e.g. "
                  '\'{"name":"openai","base_url":"http://127.0.0.1:8080/v1","model":"m","style":"completion"}\'; '
                  "the answer is printed as it streams")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unirag", description="Multimodal RAG over PDFs, offline by default.")
    debug = "on failure, print the full traceback instead of one error line"
    ap.add_argument("--debug", action="store_true", help=debug)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug)
    common.add_argument("--config", default=None, help="pipeline config file (YAML/JSON; see `unirag init`)")
    common.add_argument("--db", default=None, help="store folder (default: the config's, else .unirag)")
    common.add_argument("--chroma-url", default=None, help="use a Chroma server, e.g. http://127.0.0.1:8000")
    common.add_argument("--encoder", default=None,
                        help="default (MiniLM text + visual channel), text, e5, hash, or a JSON config; "
                             "default: what the store was built with")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common.add_argument("--allow-imports", action="store_true",
                        help="let --config / --encoder / --generator / --reranker name your own classes by dotted "
                             "import path (never taken from a store)")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="parse, embed and store PDFs (files or folders)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--workers", type=int, default=None, help="parser processes (default: half the cores, at least 2, at most 8)")
    p.add_argument("--password", default=None, help="password for encrypted PDFs (tried on each encrypted file)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="parse and embed on a Ray cluster (needs unirag[distributed]): no ADDRESS starts a "
                        "local instance, or 'auto', or ray://HOST:10001; put it after the paths")
    p.set_defaults(func=cmd_ingest)

    asking = argparse.ArgumentParser(add_help=False)  # what `query` and `search` share
    asking.add_argument("text", nargs="?", default="")
    asking.add_argument("--image", help="query image (PNG/JPEG), alone or with text")
    asking.add_argument("--modality", action="append", help="only these chunk kinds (repeatable)")
    asking.add_argument("--doc", action="append", help="only these document ids (repeatable)")
    asking.add_argument("--json", action="store_true", help="print JSON")
    asking.add_argument("--reranker", default=None, help=RERANKER_HELP)

    p = sub.add_parser("query", parents=[common, asking], help="answer a question with citations")
    p.add_argument("-k", type=int, default=10, help="chunks to retrieve as evidence (default 10)")
    p.add_argument("--generator", default=None, help=GENERATOR_HELP)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("search", parents=[common, asking],
                       help="list the ranked evidence for a question; no answer step")
    p.add_argument("-k", type=int, default=10, help="hits to list (default 10)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ls", parents=[common], help="list stored documents")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("rm", parents=[common], help="delete documents with all their chunks and crops")
    p.add_argument("doc_ids", nargs="+", metavar="DOC")
    p.set_defaults(func=cmd_rm)

    p = sub.add_parser("eval", parents=[common], help="score retrieval on a QA set; writes OUT/metrics.json")
    p.add_argument("--docs", help="folder of PDFs (document id = file stem)")
    p.add_argument("--qa", help="QA JSONL file")
    p.add_argument("--beir", metavar="DIR", help="instead: a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    p.add_argument("--pages", metavar="FILE", help="instead: a ViDoRe-style .jsonl/.parquet of {query, image, page_id}")
    p.add_argument("--image-qa", default=None, help="image-query JSONL file")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--baseline", action="append", metavar="NAME",
                   help="also score a baseline on the same questions: llamaindex-text, bm25-pages (repeatable)")
    p.add_argument("--compare", metavar="OLD_OUT", help="an earlier --out folder: report per-question changes")


    p.add_argument("--reranker", default=None, help=RERANKER_HELP)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("samples", help="write sample documents, a chart image and questions to try unirag on")
    p.add_argument("folder", nargs="?", default="samples")
    p.set_defaults(func=cmd_samples)

    p = sub.add_parser("init", help="write a commented default pipeline config")
    p.add_argument("path", nargs="?", default="unirag.yaml")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("bench", parents=[common], help="ingest throughput and query latency on a folder of PDFs, "
                       "with the LlamaIndex baseline side by side (into a temporary store, removed afterwards); "
                       "without --docs, only cold `unirag query` processes on the store (--db)")
    p.add_argument("--docs", default=None, help="folder of PDFs")
    p.add_argument("--workers", type=int, default=None, help="parser processes (default 2)")
    p.add_argument("--qa", default=None, help="QA JSONL whose questions time the queries "
                   "(default: phrases taken from the documents)")
    p.add_argument("--no-llama", action="store_true", help="skip the LlamaIndex baseline")
    p.add_argument("--json", help="also write the results to this file")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("chat", parents=[common], help="chat over the documents: a web page (or --cli in the terminal)")
    p.add_argument("--cli", action="store_true", help="terminal chat: questions from stdin until EOF or 'quit'")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another host name the page may be opened by (repeatable); requests naming the server "
                   "otherwise than localhost, 127.0.0.1, [::1], --host or these get 403")
    p.add_argument("--generator", default=None, help="answer generator: a name or a JSON config (default: extractive)")
    p.add_argument("-k", type=int, default=10, help="chunks to retrieve as evidence (default 10)")
    p.add_argument("--max-upload-mb", type=float, default=50.0, help="largest PDF accepted by upload (default 50)")
    p.add_argument("--max-pages", type=int, default=500, help="most pages in an uploaded PDF (default 500)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("demo", parents=[common], help="ingest generated sample documents and answer questions")
    p.add_argument("--generator", default=None, help=GENERATOR_HELP)
    p.set_defaults(func=cmd_demo)
    return ap


def _resolve_config(args) -> None:
    """--config file values fill in what the command line left unset."""
    if not hasattr(args, "db"):
        return
    from unirag.pipelines.config import load_config

    args.config_data = load_config(args.config) if args.config else {}
    args.db = args.db or args.config_data.get("db") or ".unirag"
    args.chroma_url = args.chroma_url or args.config_data.get("chroma_url")


def main(argv: list[str] | None = None) -> int:
    from unirag.rag.generation import GenerationError

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if args.command in ("query", "search") and not (args.text or args.image):
        print("error: give a question, an --image, or both", file=sys.stderr)
        return 2
    try:
        _resolve_config(args)
        return args.func(args)
    except (Exception, KeyboardInterrupt) as e:  # one line and an exit status; --debug: the traceback
        if args.debug:
            raise
        from unirag.pipelines.console import printable
        from unirag.rag.store.chroma import StoreBusyError

        if isinstance(e, (ValueError, FileNotFoundError, ImportError, GenerationError)):
            code, message = 2, str(e)  # the command line, its files, its --generator or a missing extra
        elif isinstance(e, (StoreBusyError, OSError)):
            code, message = 1, str(e)
        elif isinstance(e, KeyboardInterrupt):
            code, message = 130, "interrupted"
        else:
            code, message = 1, f"unexpected {type(e).__name__}: {e} (run with --debug for the traceback)"
        print(printable(f"error: {message}").replace("\n", " "), file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
