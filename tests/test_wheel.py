"""The wheel carries the schemas and the rule packs: build it, install it into a fresh venv, and use it."""

import os
import re
import subprocess
import sys
import venv

import pytest

from .conftest import EXAMPLES, REPO

pytestmark = pytest.mark.slow


def _run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_installed_wheel_validates_an_example(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)])
    [wheel] = dist.glob("rarebom-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    # Run from an empty folder, so nothing can come from the source tree.
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([str(bin_dir / "python"), "-c", "import rarebom, rarebom._resources as r; print(r.schema_dir())"], cwd=work, env=env)
    assert str(env_dir) in where and where.strip().endswith(os.path.join("rarebom", "schemas"))
    out = _run([str(bin_dir / "rarebom"), "validate", str(EXAMPLES / "ev-traction-motor.xml"), str(EXAMPLES / "smartphone.json")], cwd=work, env=env)
    assert out.count(": valid rarebom-") == 2
    from rarebom._resources import SCHEMAS

    for name, filename in SCHEMAS.items():
        printed = _run([str(bin_dir / "rarebom"), "schema", name], cwd=work, env=env)
        assert printed == (REPO / "schemas" / filename).read_text(), f"the wheel's {filename} differs from schemas/"
    # The shipped rule packs load from the installed package, and trace gives verdicts.
    listed = _run([str(bin_dir / "rarebom"), "rules", "list", "--as-of", "2026-11-22"], cwd=work, env=env)
    shipped = sorted((REPO / "rarebom" / "rules" / "packs").glob("*.toml"))
    assert len(shipped) == 4 and listed.count("CN-MOFCOM-2025-61/") == 5 and "US-DFARS-252.225-7052/covered-magnets" in listed
    report = _run([str(bin_dir / "rarebom"), "trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22"], cwd=work, env=env)
    assert re.search(r"^  ABOVE +CN-MOFCOM-GAC-2025-18/china-origin-items$", report, re.M)
