"""Coverage-guided fuzzing of one rarebom reader with atheris (libFuzzer for Python).

Asserts guarantee 1 of docs/robustness.md: on any input, :func:`rarebom.load` and
:func:`rarebom.trace` return or raise a :class:`~rarebom.errors.RarebomError`; any other
exception is a finding, and libFuzzer writes the input that raised it to ``crash-*``.

    pip install 'rarebom[fuzz]'            # atheris; a cp311 wheel exists for Linux x86-64
    python fuzz/atheris_harness.py csv -max_total_time=120 -rss_limit_mb=4096 corpus/csv
    python fuzz/atheris_harness.py --seed-corpus corpus     # write the seed corpora

The first argument names the reader (one of rarebom.formats.FORMATS, or ``auto`` for
format detection); the rest go to libFuzzer. Seeds are the examples, the import fixtures
and ../shared/samples where present (tests/fuzz_strategies.py); pass a corpus directory so
libFuzzer starts from them. ``-rss_limit_mb`` above the 2 GiB default: deep XML and big
numbers are legitimate work for the readers, and the resource bounds are separate tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def write_seed_corpus(directory: Path) -> None:
    from tests.fuzz_strategies import seeds

    for fmt, files in seeds().items():
        target = directory / fmt
        target.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(files):
            (target / f"seed-{i:03d}").write_bytes(data)
        print(f"{fmt}: {len(files)} seeds in {target}")


def main(argv: list[str]) -> None:
    if len(argv) > 1 and argv[1] == "--seed-corpus":
        write_seed_corpus(Path(argv[2] if len(argv) > 2 else "corpus"))
        return
    import atheris

    with atheris.instrument_imports():
        import rarebom
        from rarebom.errors import RarebomError
        from rarebom.formats import FORMATS

    fmt = argv[1] if len(argv) > 1 else ""
    if fmt not in (*FORMATS, "auto"):
        sys.exit(f"usage: {argv[0]} {{{'|'.join((*FORMATS, 'auto'))}}} [libFuzzer options] [corpus dirs]")
    chosen = None if fmt == "auto" else fmt

    def one_input(data: bytes) -> None:
        try:
            bom = rarebom.load(data, format=chosen).bom
        except RarebomError:
            return
        try:
            rarebom.trace(bom)
        except RarebomError:
            return

    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
