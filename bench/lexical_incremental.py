"""Lexical index at scale: full build, an update file, DeleteCitation, merge, search, server RSS.

    PYTHONPATH=src python bench/lexical_incremental.py --size 100000 --update 3000 --delete 1000
        [--work DIR] [--queries 200]
    PYTHONPATH=src python bench/lexical_incremental.py --size 100000 --engine tantivy --work DIR

Synthetic PubMed (bench/synthetic_pubmed.py), lexical only. The update file holds
`update` citations: two thirds new PMIDs, one third revised records of existing ones; the
delete file a DeleteCitation of `delete` existing PMIDs. Each phase runs in a fresh process, so
peak RSS is that phase's own; one JSON line per figure, with the 1-minute load average.

`--engine citemed` (default) goes through Library (ingest, refresh_lexical, retrieve.search),
so the same script measures any CiteMed checkout: run it with PYTHONPATH pointing at the
whole-matrix code to get the rebuild-everything figures. `--engine tantivy` indexes the same
library's documents, pre-tokenized by CiteMed (stems, title and index terms repeated as
CiteMed weighs them), into tantivy, applies the same update and deletions, and searches the
same weighted terms: the engine comparison, plus how far its top 10 is from CiteMed's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_pubmed import FIRST_PMID, VOCABULARY, write_pubmed_xml  # noqa: E402

PHASES = ("build", "serve", "update", "delete", "serve", "merge", "serve")


def emit(name: str, value: float, unit: str, args: argparse.Namespace, **extra: object) -> None:
    print(json.dumps({
        "name": name, "value": round(value, 3), "unit": unit, "engine": args.engine,
        "corpus_size": args.size, **extra, "load_avg_1min": round(os.getloadavg()[0], 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python "
                   f"{platform.python_version()}"}), flush=True)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib(field: str = "VmRSS") -> float:
    """Resident memory now; RssAnon is the process's own, RssFile the memory-mapped (page
    cache) pages it touched, which the kernel can drop under pressure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def files(args: argparse.Namespace) -> dict[str, Path]:
    """The base, update and delete files (written once per size into the work folder)."""
    work = args.work
    out = {"base": work / f"base_{args.size}.xml.gz",
           "update": work / f"update_{args.size}_{args.update}.xml.gz",
           "delete": work / f"delete_{args.size}_{args.delete}.xml.gz"}
    if not out["base"].exists():
        write_pubmed_xml(out["base"], args.size)
    revised = args.update // 3
    if not out["update"].exists():
        # Revised records (other text for existing PMIDs) followed by new ones.
        write_pubmed_xml(out["update"], args.update, seed=8,
                         first=FIRST_PMID + args.size - revised)
    if not out["delete"].exists():
        rng = random.Random(9)
        gone = sorted(rng.sample(range(FIRST_PMID, FIRST_PMID + args.size - revised),
                                 args.delete))
        write_pubmed_xml(out["delete"], 0, deleted=gone)
    return out


def questions(count: int) -> list[str]:
    """Seeded questions of 3-8 generated words, common and rare alike."""
    rng = random.Random(11)
    return [" ".join(rng.choice(VOCABULARY[:rank]) for _ in range(rng.randint(3, 8)))
            for rank in rng.choices([200, 2000, 20_000], k=count)]


# ---------------------------------------------------------------------------- CiteMed

def citemed_phase(phase: str, args: argparse.Namespace) -> None:
    from citemed.library import Library
    from citemed.settings import Settings

    library_dir = args.work / f"lib_{args.size}"
    if phase == "build":
        library = Library(Settings(library=library_dir, dense=False), create=True)
    else:
        library = Library(Settings(library=library_dir, dense=False))
    if phase in ("build", "update", "delete"):
        path = files(args)["base" if phase == "build" else phase]
        started = time.perf_counter()
        report = library.ingest_paths([path], refresh=False)
        stored = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        library.refresh_lexical()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        total = report.total
        emit(f"lexical_{phase}", seconds, "s", args, cpu_seconds=round(cpu, 2),
             added=total.added, updated=total.updated, deleted=total.deleted,
             store_ingest_s=round(stored, 2), documents=len(library.store))
        emit(f"peak_rss_{phase}", peak_mib(), "MiB", args)
        emit(f"index_disk_after_{phase}", disk_mib(library_dir / "index"), "MiB", args)
        emit(f"library_disk_after_{phase}", disk_mib(library_dir), "MiB", args)
    elif phase == "merge":
        merge = getattr(library, "merge_lexical", None)
        if merge is not None:  # the whole-matrix index has no segments
            started = time.perf_counter()
            merge()
            emit("lexical_merge", time.perf_counter() - started, "s", args)
    else:
        serve(library, args)
    library.close()


def percentiles(name: str, times: list[float], args: argparse.Namespace, **extra: object) -> None:
    times = sorted(times)
    emit(f"{name}_p50", statistics.median(times), "ms", args, **extra)
    emit(f"{name}_p95", times[int(0.95 * (len(times) - 1))], "ms", args, **extra)


def serve(library, args: argparse.Namespace) -> None:
    import numpy as np

    from citemed.retrieve import analyze, search

    started = time.perf_counter()
    index = library.lexical
    opened = time.perf_counter() - started
    segments = len(getattr(index, "segments", [None]))
    rss_open = rss_mib()
    asked = questions(args.queries)
    for question in asked[:10]:  # warm-up: the page cache and the stemmer
        search(library, question, k=10)
    times = []
    for question in asked:
        started = time.perf_counter()
        search(library, question, k=10)
        times.append((time.perf_counter() - started) * 1000)
    # The engine alone (BM25 of every document and the top 10), as tantivy is timed below.
    scoring = []
    for question in asked:
        query = analyze(question, vocab=index.vocab, abbreviations=index.abbreviations)
        started = time.perf_counter()
        scores = index.scores(query.terms)
        np.argpartition(-scores, 10)[:10]
        scoring.append((time.perf_counter() - started) * 1000)
    common = {"segments": segments, "queries": len(times), "documents": len(library.store)}
    emit("index_open", opened, "s", args, **common)
    percentiles("search", times, args, **common)
    percentiles("bm25_top10", scoring, args, **common)
    emit("server_rss_after_open", rss_open, "MiB", args, **common)
    emit("server_rss_after_searches", rss_mib(), "MiB", args, anon_mib=rss_mib("RssAnon"),
         file_mib=rss_mib("RssFile"), **common)
    emit("server_peak_rss", peak_mib(), "MiB", args, **common)


# ---------------------------------------------------------------------------- tantivy

def tantivy_phase(phase: str, args: argparse.Namespace) -> None:
    """The same documents and changes in tantivy (reads the CiteMed library the default
    engine built: run that first)."""
    import tantivy

    from citemed.library import Library
    from citemed.library.lexical_build import TERMS_WEIGHT, TITLE_WEIGHT
    from citemed.retrieve import analyze
    from citemed.settings import Settings
    from citemed.text import tokenize

    folder = args.work / f"tantivy_{args.size}"
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema_builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    schema = schema_builder.build()

    def body(doc) -> str:
        tokens = [t for _s, _sec, sentence in doc.iter_sentences()
                  for t in tokenize(sentence.text)]
        tokens += tokenize(doc.title) * TITLE_WEIGHT
        tokens += tokenize(" ; ".join(doc.terms)) * TERMS_WEIGHT
        return " ".join(tokens)

    library = Library(Settings(library=args.work / f"lib_{args.size}", dense=False))
    if phase in ("build", "update", "delete"):
        folder.mkdir(exist_ok=True)
        index = tantivy.Index(schema, path=str(folder), reuse=phase != "build")
        writer = index.writer(200_000_000, 1)
        started, cpu = time.perf_counter(), time.process_time()
        if phase == "build":
            docs = library.store.iter_documents()
            changed: list[str] = []
        else:
            # The documents the update file holds (the library already has them applied).
            from citemed.sources import plan as plan_sources
            pairs, _ = plan_sources(files(args)[phase], None)
            items = [item for reader, path in pairs for item in reader.read(path)]
            changed = [getattr(i, "id", None) or i.document_id for i in items]
            docs = library.documents([i.id for i in items if hasattr(i, "sections")])
        for doc_id in changed:
            writer.delete_documents_by_term("id", doc_id)
        added = 0
        for doc in docs:
            writer.add_document(tantivy.Document(id=doc.id, body=body(doc)))
            added += 1
        writer.commit()
        writer.wait_merging_threads()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        emit(f"lexical_{phase}", seconds, "s", args, cpu_seconds=round(cpu, 2), added=added,
             deleted_terms=len(changed))
        emit(f"peak_rss_{phase}", peak_mib(), "MiB", args)
        emit(f"index_disk_after_{phase}", disk_mib(folder), "MiB", args)
    elif phase == "serve":
        started = time.perf_counter()
        index = tantivy.Index.open(str(folder))
        searcher = index.searcher()
        opened = time.perf_counter() - started
        rss_open = rss_mib()
        lexical = library.lexical
        times, overlap = [], []
        for number, question in enumerate(questions(args.queries)):
            query = analyze(question, vocab=lexical.vocab, abbreviations=lexical.abbreviations)
            started = time.perf_counter()
            clauses = [(tantivy.Occur.Should, tantivy.Query.boost_query(
                tantivy.Query.term_query(schema, "body", term), weight))
                for term, weight in query.terms.items()]
            hits = searcher.search(tantivy.Query.boolean_query(clauses), 10).hits
            found = [searcher.doc(address)["id"][0] for _score, address in hits]
            if number >= 10:  # the first ten warm up, as for CiteMed
                times.append((time.perf_counter() - started) * 1000)
            scores = lexical.scores(query.terms)
            best = [lexical.doc_ids[row] for row in scores.argsort()[::-1][:10]
                    if scores[row] > 0]
            if best:
                overlap.append(len(set(found) & set(best)) / len(best))
        common = {"segments": searcher.num_segments, "queries": len(times),
                  "documents": searcher.num_docs}
        emit("index_open", opened, "s", args, **common)
        percentiles("bm25_top10", times, args, **common)
        emit("top10_overlap_with_citemed_bm25", statistics.mean(overlap), "share", args,
             **common)
        emit("server_rss_after_searches", rss_mib(), "MiB", args, rss_after_open=rss_open,
             anon_mib=rss_mib("RssAnon"), file_mib=rss_mib("RssFile"), **common)
    library.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--update", type=int, default=3_000)
    parser.add_argument("--delete", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--engine", choices=["citemed", "tantivy"], default="citemed")
    parser.add_argument("--work", type=Path, default=Path("/tmp/citemed-lexical-bench"))
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        (citemed_phase if args.engine == "citemed" else tantivy_phase)(args.phase, args)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    files(args)
    phases = PHASES if args.engine == "citemed" else ("build", "serve", "update", "delete",
                                                      "serve")
    for phase in phases:
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--phase", phase], check=True)


if __name__ == "__main__":
    main()
