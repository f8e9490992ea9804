"""Search benchmark: index N texts in Arabic, Hebrew and English, then query; prints JSON.

    python bench/search.py                       # 1,000,000 texts, SQLite and PostgreSQL
    python bench/search.py --n 100000 --db sqlite
    python bench/search.py --quick               # 20,000 texts, both

Texts are generated sentences: per language a list of common words (with the language's
inflections, prefixes and, now and then, vowel marks) and a long tail of rarer words,
drawn by a Zipf-like law, 6-30 words each; each text gets a random non-empty visibility
over IL, SY and US. They are indexed through the real indexer (`SearchProjector`, called
once per entry inside transactions of --batch entries, as the log's group commit hands
them over) into a database made by the real migrations. Then a few hundred mixed queries
(one to three words, phrases, a word being typed) run through the real query path
(`search_conn`) as IL, SY and the supervisor US, who sees everything; the figures are
p50/p95/p99 in ms. PostgreSQL: FUSIONCELL_BENCH_PG or the local server, in a schema of
its own, dropped afterwards.
"""

# ruff: noqa: RUF001 - Arabic and Hebrew word lists
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from fusioncell.db import make_engine, migrate, reading, transaction
from fusioncell.ledger.entry import Author, Entry, Statement
from fusioncell.search.projector import SearchProjector
from fusioncell.search.queries import search_conn

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARTIES = ("IL", "SY", "US")
VISIBILITIES = [tuple(p for i, p in enumerate(PARTIES) if mask >> i & 1) for mask in range(1, 8)]

AR_WORDS = [
    "مفاوضة",
    "حدود",
    "أمن",
    "سلام",
    "اتفاق",
    "حكومة",
    "وزير",
    "جيش",
    "قرية",
    "مدينة",
    "طريق",
    "نهر",
    "ماء",
    "كهرباء",
    "تجارة",
    "مشروع",
    "شركة",
    "اقتصاد",
    "تعاون",
    "لجنة",
    "اجتماع",
    "رسالة",
    "تقرير",
    "حادث",
    "قصف",
    "طائرة",
    "دورية",
    "منطقة",
    "انسحاب",
    "جدول",
    "زمني",
    "مراقب",
    "شاهد",
    "مصدر",
    "معلومات",
    "طلب",
    "جواب",
    "توضيح",
    "إنذار",
    "حماية",
    "مواطن",
    "سكان",
    "عائلة",
    "مدرسة",
    "مستشفى",
    "طبيب",
    "دواء",
    "غذاء",
    "قمح",
    "زيت",
    "غاز",
    "نفط",
    "ميناء",
    "سفينة",
    "جسر",
    "معبر",
    "حاجز",
    "نقطة",
    "خط",
    "موقع",
    "خريطة",
    "وقت",
    "يوم",
    "أسبوع",
    "شهر",
    "سنة",
    "صباح",
    "مساء",
    "ليل",
    "عاجل",
    "مهم",
    "جديد",
    "قديم",
]
AR_PREFIXES = ("", "", "", "ال", "ال", "وال", "بال", "لل", "و", "كال", "فال")
AR_SUFFIXES = ("", "", "", "ات", "ة", "ها", "ين", "ون", "ي")
HE_WORDS = [
    "משא",
    "ומתן",
    "גבול",
    "ביטחון",
    "שלום",
    "הסכם",
    "ממשלה",
    "שר",
    "צבא",
    "כפר",
    "עיר",
    "דרך",
    "נהר",
    "מים",
    "חשמל",
    "סחר",
    "פרויקט",
    "חברה",
    "כלכלה",
    "שיתוף",
    "ועדה",
    "פגישה",
    "מכתב",
    "דוח",
    "אירוע",
    "הפגזה",
    "מטוס",
    "סיור",
    "אזור",
    "נסיגה",
    "לוח",
    "זמנים",
    "משקיף",
    "עד",
    "מקור",
    "מידע",
    "בקשה",
    "תשובה",
    "הבהרה",
    "התרעה",
    "הגנה",
    "אזרח",
    "תושבים",
    "משפחה",
    "בית",
    "ספר",
    "חולים",
    "רופא",
    "תרופה",
    "מזון",
    "חיטה",
    "שמן",
    "גז",
    "נפט",
    "נמל",
    "ספינה",
    "גשר",
    "מעבר",
    "מחסום",
    "נקודה",
    "קו",
    "אתר",
    "מפה",
    "זמן",
    "יום",
    "שבוע",
    "חודש",
    "שנה",
    "בוקר",
    "ערב",
    "לילה",
    "דחוף",
    "חשוב",
    "חדש",
    "ישן",
]
HE_PREFIXES = ("", "", "", "ה", "ו", "ב", "ל", "וה", "וב", "ש", "שה", "מה", "כש")
EN_WORDS = [
    "negotiation",
    "border",
    "security",
    "peace",
    "agreement",
    "government",
    "minister",
    "army",
    "village",
    "city",
    "road",
    "river",
    "water",
    "electricity",
    "trade",
    "project",
    "company",
    "economy",
    "cooperation",
    "committee",
    "meeting",
    "letter",
    "report",
    "incident",
    "shelling",
    "aircraft",
    "patrol",
    "zone",
    "withdrawal",
    "timetable",
    "observer",
    "witness",
    "source",
    "information",
    "request",
    "answer",
    "clarification",
    "warning",
    "protection",
    "citizen",
    "residents",
    "family",
    "school",
    "hospital",
    "doctor",
    "medicine",
    "food",
    "wheat",
    "oil",
    "gas",
    "port",
    "ship",
    "bridge",
    "crossing",
    "checkpoint",
    "point",
    "line",
    "site",
    "map",
    "time",
    "day",
    "week",
    "month",
    "year",
    "morning",
    "evening",
    "night",
    "urgent",
    "important",
    "new",
    "old",
]
EN_SUFFIXES = ("", "", "", "s", "ed", "ing", "ation", "ly")
AR_MARKS = "\u064e\u064f\u0650\u0651\u0652"
HE_MARKS = "\u05b0\u05b4\u05b7\u05b8\u05bc"
AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
HE_LETTERS = "אבגדהוזחטיכלמנסעפצקרשת"
EN_LETTERS = "abcdefghijklmnoprstuvwyz"
TAIL = 20_000  # rarer words per language (names, places, terms)


def _tail(rng: random.Random, letters: str) -> list[str]:
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 8))) for _ in range(TAIL)]


class Corpus:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tails = {
            "ar": _tail(self.rng, AR_LETTERS),
            "he": _tail(self.rng, HE_LETTERS),
            "en": _tail(self.rng, EN_LETTERS),
        }
        self.common = {"ar": AR_WORDS, "he": HE_WORDS, "en": EN_WORDS}

    def base(self, lang: str) -> str:
        r = self.rng
        if r.random() < 0.7:  # common words: Zipf-like over the list
            words = self.common[lang]
            return words[min(int(r.paretovariate(1.1)) - 1, len(words) - 1)]
        tail = self.tails[lang]
        return tail[min(int(r.paretovariate(0.6)) - 1, len(tail) - 1)]

    def word(self, lang: str) -> str:
        r = self.rng
        w = self.base(lang)
        if lang == "ar":
            w = r.choice(AR_PREFIXES) + w + r.choice(AR_SUFFIXES)
            if r.random() < 0.1:
                w = "".join(c + (r.choice(AR_MARKS) if r.random() < 0.5 else "") for c in w)
        elif lang == "he":
            w = r.choice(HE_PREFIXES) + w
            if r.random() < 0.1:
                w = "".join(c + (r.choice(HE_MARKS) if r.random() < 0.4 else "") for c in w)
        else:
            w += r.choice(EN_SUFFIXES)
            if r.random() < 0.1:
                w = w.capitalize()
        return w

    def sentence(self, lang: str) -> str:
        n = self.rng.randint(6, 30)
        return " ".join(self.word(lang) for _ in range(n)) + "."

    def query(self) -> str:
        r = self.rng
        lang = r.choice(("ar", "he", "en"))
        n = r.choice((1, 1, 2, 2, 3))
        words = [self.word(lang) for _ in range(n)]
        shape = r.random()
        if n >= 2 and shape < 0.2:
            return '"' + " ".join(words) + '"'
        if shape < 0.4:
            words[-1] = words[-1][: max(3, len(words[-1]) - 2)]  # being typed
            return " ".join(words)
        return " ".join(words) + " "


def entry(
    index: int,
    *,
    kind: str = "cell.message.posted",
    subject: str = "t/x",
    visibility: tuple[str, ...] = ("IL", "US"),
    author: str | None = None,
) -> Entry:
    """An entry as the indexer sees it, unsigned: what it reads is the statement's header
    (the body comes beside it). `author`: its party (the first of `visibility` if none)."""
    party = author or visibility[0]
    st = Statement(
        raw=b"",
        origin="bench",
        kind=kind,
        subject=subject,
        author=Author(party, f"{party.lower()}-liaison", "00000000"),
        visibility=visibility,
        body_sha256="0" * 64,
        client_time="2026-11-26T09:00:00.000Z",
        obj={},
    )
    return Entry(index=index, time="2026-11-26T09:00:00.000Z", statement=st, sig=b"", leaf=b"")


def entries(corpus: Corpus, n: int) -> Iterator[tuple[Entry, dict[str, Any]]]:
    for i in range(1, n + 1):
        lang = ("ar", "he", "en")[i % 3]
        vis = corpus.rng.choice(VISIBILITIES)
        party = corpus.rng.choice(vis)
        thread = f"bench{i // 50:011d}"
        made = entry(i, subject=f"t/{thread}", visibility=vis, author=party)
        yield made, {"thread": thread, "text": corpus.sentence(lang), "lang": lang}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100 * len(xs)))], 2)


class Cpu:
    """Time on a CPU, in ns, of this thread and of the PostgreSQL backends it talked to
    (/proc/<pid>/schedstat: run time, and time spent waiting for a core), so that the
    figures can be read apart from what other jobs on a shared machine cost: on a quiet
    machine one query takes about its CPU time (the data is in memory)."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[int, int]] = {}  # backend pid -> (run, wait) at first sight

    @staticmethod
    def stat(pid: int) -> tuple[int, int]:
        try:
            run_ns, wait_ns, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
            return int(run_ns), int(wait_ns)
        except (OSError, ValueError):
            return 0, 0  # a server on another machine: its CPU is not counted

    def backend(self, conn: Any) -> int | None:
        if conn.dialect.name != "postgresql":
            return None  # SQLite runs in this thread
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        self.seen.setdefault(pid, self.stat(pid))
        return pid

    def totals(self) -> tuple[float, float]:
        """Run and wait seconds of the backends since first seen."""
        run = wait = 0
        for pid, (r0, w0) in self.seen.items():
            r, w = self.stat(pid)
            run, wait = run + r - r0, wait + w - w0
        return run / 1e9, wait / 1e9


def run(engine: Engine, n: int, batch: int, queries: int, seed: int) -> dict[str, Any]:
    migrate(engine)
    corpus = Corpus(seed)
    projector = SearchProjector()
    source = entries(corpus, n)
    done = 0
    reused = False
    with reading(engine) as conn:
        if conn.execute(text("SELECT count(*) FROM search_rows")).scalar_one() >= n:
            reused = True
            for _ in source:  # the same corpus state, hence the same queries
                pass
            done = n  # kept from an earlier run (--keep): query only
    cpu = Cpu()
    t0 = time.perf_counter()
    c0 = time.thread_time()
    while done < n:
        with transaction(engine) as conn:
            cpu.backend(conn)
            for _ in range(min(batch, n - done)):
                entry, body = next(source)
                projector(conn, entry, body)
                done += 1
        if done % 100_000 < batch:
            print(f"  indexed {done:,}", file=sys.stderr, flush=True)
    index_s = time.perf_counter() - t0
    index_cpu = time.thread_time() - c0 + cpu.totals()[0]
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.execute(text("ANALYZE search_rows"))
            c.commit()
    qs = [corpus.query() for _ in range(queries)]
    lat: dict[str, list[float]] = {p: [] for p in PARTIES}
    on_cpu: list[float] = []
    totals: list[int] = []
    with reading(engine) as conn:
        search_conn(conn, "IL", qs[0])  # warm the caches once
    for q in qs:
        for p in PARTIES:
            who = None if p == "US" else p  # the supervisor sees everything
            with reading(engine) as conn:
                pid = cpu.backend(conn)
                b0 = cpu.stat(pid)[0] if pid else 0
                c0 = time.thread_time_ns()
                a = time.perf_counter()
                out = search_conn(conn, who, q)
                lat[p].append((time.perf_counter() - a) * 1000)
                used = time.thread_time_ns() - c0 + ((cpu.stat(pid)[0] - b0) if pid else 0)
                on_cpu.append(used / 1e6)
            totals.append(out["total"])
    every = [x for xs in lat.values() for x in xs]
    if reused:
        index_s = index_cpu = float("nan")
    return {
        "texts": n,
        "index_kept_from_an_earlier_run": reused,
        "index_seconds": round(index_s, 1),
        "texts_per_second": None if reused else round(n / index_s),
        # What one indexing process and its backend took on a CPU: the rate a machine
        # with a core free for each would keep up (fsync waits aside).
        "index_cpu_seconds": round(index_cpu, 1),
        "texts_per_cpu_second": None if reused else round(n / index_cpu),
        "queries": len(every),
        "query_ms": {"p50": pct(every, 50), "p95": pct(every, 95), "p99": pct(every, 99)},
        "query_cpu_ms": {"p50": pct(on_cpu, 50), "p95": pct(on_cpu, 95), "p99": pct(on_cpu, 99)},
        "query_ms_by_party": {
            p: {"p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99)} for p, xs in lat.items()
        },
        "load_after": os.getloadavg(),
        "median_total": statistics.median(totals),
        "examples": qs[:5],
    }


def sqlite_run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(f"sqlite:///{Path(d) / 'search.db'}")
        try:
            out = run(engine, args.n, args.batch, args.queries, args.seed)
            out["database_bytes"] = (Path(d) / "search.db").stat().st_size
            return out
        finally:
            engine.dispose()


def pg_run(args: argparse.Namespace) -> dict[str, Any]:
    base = os.environ.get("FUSIONCELL_BENCH_PG", PG_DEFAULT)
    schema = args.keep or "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    sep = "&" if "?" in base else "?"
    engine = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        out = run(engine, args.n, args.batch, args.queries, args.seed)
        with engine.connect() as c:
            out["table_bytes"] = c.execute(
                text("SELECT pg_total_relation_size('search_rows')")
            ).scalar_one()
            out["server"] = c.execute(text("SHOW server_version")).scalar_one()
        return out
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _proc(path: str, key: str) -> str | None:
    """A line of /proc (Linux), for the figures' record of the machine."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--batch", type=int, default=500, help="entries per transaction")
    ap.add_argument("--queries", type=int, default=300, help="each run as IL, SY and US")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="20,000 texts, 100 queries")
    ap.add_argument(
        "--keep",
        metavar="SCHEMA",
        help="PostgreSQL: index into this schema and keep it; if it already holds the "
        "texts, only query (to measure the query path again on the same index)",
    )
    args = ap.parse_args()
    if args.quick:
        args.n, args.queries = 20_000, 100
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": _proc("/proc/cpuinfo", "model name"),
            "memory": _proc("/proc/meminfo", "MemTotal"),
            "load_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "n": args.n,
    }
    if args.db in ("sqlite", "both"):
        result["sqlite"] = sqlite_run(args)
    if args.db in ("postgresql", "both"):
        result["postgresql"] = pg_run(args)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
