"""`make bench`: crawl a scaled-up demo site and compare with bare trafilatura, same run.

Prints a table and writes one flat JSON object of named figures (bench-results.json).  Names,
once used, keep their meaning:

- pipeline_pages_per_s      report pages crawled, archived, extracted and stored per second
                            (the crawl's own elapsed time, as Scrapy measures it)
- trafilatura_pages_per_s   bare trafilatura.extract() over the same pages, one process
- pipeline_vs_trafilatura   ratio of the two (> 1: the pipeline's parallelism pays for the
                            fetching, archiving and storing it does on top)
- recrawl_vs_first          elapsed time of a no-change re-crawl / the first crawl
- recrawl_vs_first_wall     the same with process start-up included
- peak_rss_mb               peak resident memory of the crawl's whole process tree
- extract_html_vs_trafilatura  bare trafilatura time / our extraction time (with metadata)
- archive_write_mb_per_s    WARC writing (gzip, SHA-256) of 2,000 ~25 KB responses
- figures_*                 see benchmarks/bench_figures.py
- series_figures_per_s      series matching + event planning over 100,000 stored figures
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rightswatch.config import load_config  # noqa: E402
from rightswatch.crawler import run_crawl  # noqa: E402
from rightswatch.db import Store, open_db  # noqa: E402
from rightswatch.demo.config import demo_config_toml  # noqa: E402
from rightswatch.demo.server import DemoServer  # noqa: E402


class TreeMemory:
    """Samples the summed RSS of this process's descendants (the crawl and its workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a worker may exit meanwhile
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def crawl_elapsed(crawls: list[dict]) -> float:
    stats = json.loads(crawls[-1]["stats"] or "{}")
    return float(stats.get("elapsed_time_seconds") or 0.0)


def bench_pipeline(pages: int, workdir: Path) -> dict[str, float]:
    import httpx
    import trafilatura

    results: dict[str, float] = {}
    with DemoServer(day=1, bench_pages=pages) as server:
        config_path = workdir / "rightswatch.toml"
        config_path.write_text(
            # No politeness delays: this measures the pipeline, not the server's patience.
            # A real archive's re-check window: only the newest reports are fetched again.
            demo_config_toml(server.base_url, bench=True, download_delay=0, autothrottle=False,
                             recheck_days=30, backfill_days=30,
                             concurrency_per_domain=16, max_pages=pages * 2,
                             max_listing_pages=3, timeout=30),
            encoding="utf-8",
        )
        config = load_config(config_path)

        started = time.perf_counter()
        with TreeMemory() as memory:
            first = run_crawl(config, ["bench"], quiet=True)
        first_wall = time.perf_counter() - started
        started = time.perf_counter()
        second = run_crawl(config, ["bench"], quiet=True)
        second_wall = time.perf_counter() - started

        store = Store(open_db(config.database))
        urls = [r["url"] for r in store.query(
            "SELECT url FROM pages WHERE source_id = 'bench' AND kind = 'report'")]
        store.close()
        stored = first.crawls[-1]["pages_new"]
        first_elapsed, second_elapsed = crawl_elapsed(first.crawls), crawl_elapsed(second.crawls)

        # The same pages through bare trafilatura, in this process, one core.
        with httpx.Client(timeout=30) as client:
            bodies = [client.get(u).text for u in urls]
        started = time.perf_counter()
        for html in bodies:
            trafilatura.extract(html)
        bare = time.perf_counter() - started

    results["bench_pages_stored"] = stored
    results["pipeline_pages_per_s"] = stored / first_elapsed
    results["trafilatura_pages_per_s"] = len(bodies) / bare
    results["pipeline_vs_trafilatura"] = (
        results["pipeline_pages_per_s"] / results["trafilatura_pages_per_s"])
    results["recrawl_new_snapshots"] = second.crawls[-1]["pages_new"] + \
        second.crawls[-1]["pages_changed"]
    results["recrawl_vs_first"] = second_elapsed / first_elapsed
    results["recrawl_vs_first_wall"] = second_wall / first_wall
    results["peak_rss_mb"] = memory.peak / 2**20
    results["cpu_count"] = os.cpu_count() or 1
    return results


def bench_components(workdir: Path) -> dict[str, float]:
    """The stages alone: extraction against bare trafilatura, and WARC writing speed."""
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "extraction"))
    try:
        from bench_pages import make_pages, measure
    finally:
        sys.path.pop(0)
    from rightswatch.archive import WarcArchive

    best = measure(count=150, rounds=3)
    pages = make_pages(200)
    headers = {"Content-Type": "text/html; charset=utf-8"}
    started = time.perf_counter()
    with WarcArchive(workdir / "warc-bench", dedupe=False) as archive:
        for i in range(2_000):
            url, body = pages[i % len(pages)]
            archive.write_response(f"{url}?n={i}", 200, headers, body + str(i).encode())
    elapsed = time.perf_counter() - started
    volume = sum(len(body) for _, body in pages) * 10 / 2**20
    return {
        "extract_html_vs_trafilatura": best["trafilatura_bytes"] / best["extract_html"],
        "archive_write_mb_per_s": volume / elapsed,
        "archive_records_per_s": 2_000 / elapsed,
    }


def bench_figures() -> dict[str, float]:
    path = ROOT / "benchmarks" / "bench_figures.py"
    spec = importlib.util.spec_from_file_location("bench_figures", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--out", default="bench-results.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rightswatch-bench-") as tmp:
        results = bench_pipeline(args.pages, Path(tmp))
        results.update(bench_components(Path(tmp)))
    results.update(bench_figures())
    from rightswatch.changes import bench as series_bench

    results.update(series_bench.run())
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key.ljust(width)}  {value:12.3f}" if isinstance(value, float)
              else f"{key.ljust(width)}  {value:12}")
    Path(args.out).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
