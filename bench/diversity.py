"""Benchmark of the diversity section: embedding the texts (through the cache in the
database), then the whole section (semantic and TF-IDF similarity with their resampled
CIs and permutation tests, distinct-n, compression), for 1,000 and 5,000 samples of about
150 words; then a second run, whose embeddings come from the cache.

    .venv/bin/python bench/diversity.py [--sizes 1000,5000] [--briefs 20]
        [--database postgres://postgres@127.0.0.1:5432/NAME]

Samples: 3 groups, spread evenly over `--briefs` briefs; each text is 150 words drawn
from the demo's own vocabulary (real English words, so the tokenizer sees what it would
see), in sentences of 8 to 16 words. Each size runs in a subprocess of its own with a
fresh database (SQLite in a temporary folder unless `--database` names a PostgreSQL one,
which is dropped and created), so that its peak memory (ru_maxrss) is its own.

Target (issue 17): under 60 s for 5,000 samples on 2 cores; the cached run under 5 s.
"""

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = 20261203
GROUPS = ("human", "ai", "collaboration")
WORDS_PER_TEXT = 150


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def texts(n: int, seed: int) -> list[str]:
    from demo.content import BRIEFS

    vocabulary = sorted(
        {
            word.lower()
            for brief in BRIEFS
            for text in brief["samples"].values()
            for word in re.findall(r"[A-Za-z']+", text)
        }
    )
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words, sentence = [], []
        while len(words) < WORDS_PER_TEXT:
            sentence.append(rng.choice(vocabulary))
            if len(sentence) >= rng.randint(8, 16):
                sentence[0] = sentence[0].capitalize()
                words.extend([*sentence[:-1], sentence[-1] + "."])
                sentence = []
        out.append(" ".join(words[:WORDS_PER_TEXT]))
    return out


def one_size(n: int, briefs: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from analysis import documents, embeddings
    from analysis.engine.diversity import DiversitySamples, diversity_section
    from studies.design import text_sha256

    made = texts(n, SEED + n)
    samples = DiversitySamples(
        group=[GROUPS[i % 3] for i in range(n)],
        brief=[f"b{(i // 3) % briefs}" for i in range(n)],
        kind=["text"] * n,
        text=made,
    )
    hashes = [text_sha256(t) for t in made]
    figures = {"samples": n, "briefs": briefs, "words": sum(len(t.split()) for t in made)}
    started = time.perf_counter()
    embeddings.embed(["warm up: load the model"])
    figures["model_load_s"] = time.perf_counter() - started

    def run() -> tuple[float, float, int]:
        started = time.perf_counter()
        vectors, embedded = documents.text_embeddings(texts=made, hashes=hashes)
        middle = time.perf_counter()
        diversity_section(
            samples, embeddings=vectors, model=embeddings.model_id(), group_order=GROUPS
        )
        return middle - started, time.perf_counter() - middle, embedded

    embed_s, section_s, embedded = run()
    figures.update(first_embed_s=embed_s, first_section_s=section_s, first_embedded=embedded)
    figures["first_total_s"] = figures["model_load_s"] + embed_s + section_s
    embed_s, section_s, embedded = run()
    figures.update(cached_embed_s=embed_s, cached_section_s=section_s, cached_embedded=embedded)
    figures["cached_total_s"] = embed_s + section_s
    figures["peak_rss_mb"] = rss_mb()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--briefs", type=int, default=20)
    parser.add_argument("--database", help="a PostgreSQL URL (dropped and created)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.briefs)))
        return
    print(
        f"diversity section, {WORDS_PER_TEXT}-word texts, {args.briefs} briefs, "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    for n in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as folder:
            database = args.database or f"sqlite:///{folder}/bench.sqlite3"
            if args.database:
                name = args.database.rsplit("/", 1)[-1]
                psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q"]
                subprocess.run(
                    [
                        *psql,
                        "-c",
                        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                        "-c",
                        f"CREATE DATABASE {name}",
                    ],
                    check=True,
                )
            env = {
                **os.environ,
                "DATABASE_URL": database,
                "DJANGO_SETTINGS_MODULE": "config.settings",
            }
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(n), "--briefs", str(args.briefs)],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
        f = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{n:>6} samples ({f['words']} words): model load {f['model_load_s']:.1f} s, "
            f"embedding {f['first_embed_s']:.1f} s ({f['first_embedded']} texts), section "
            f"{f['first_section_s']:.1f} s, total {f['first_total_s']:.1f} s; cached run: "
            f"embedding {f['cached_embed_s']:.2f} s ({f['cached_embedded']} embedded), "
            f"section {f['cached_section_s']:.1f} s, total {f['cached_total_s']:.1f} s; "
            f"peak RSS {f['peak_rss_mb']:.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
