"""The CI workflows (.github/workflows/*.yml) are valid YAML of the shape GitHub reads, and every tfpt command they
run exists with the options they pass: each `python -m tfpt...` line is cut out of the step's shell text and given
to that command's own argparse parser (nothing runs; checks of paths and sides are left out). The pull-request
A/B runs base and head in one job; the nightly keeps its tox matrix sharded across jobs."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SHELL_STOP = {"|", "||", "&&", ";", ">", ">>", "2>&1", "<"}


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert isinstance(doc.get("jobs"), dict) and doc["jobs"] and on, path.name
    return doc


def tfpt_commands(doc: dict) -> list[tuple[str, list[str]]]:
    """(module, argv) of every `-m tfpt...` in the workflow's run steps; ${{ }} expressions and $VARS become words."""
    found = []
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            text = re.sub(r"\$\{\{[^}]*\}\}", "EXPR", step.get("run", "")).replace("\\\n", " ")
            for line in text.splitlines():
                words = shlex.split(line, comments=True)
                for i, w in enumerate(words[:-1]):
                    if w == "-m" and words[i + 1].startswith("tfpt"):
                        rest = words[i + 2:]
                        cut = next((j for j, x in enumerate(rest) if x in SHELL_STOP), len(rest))
                        found.append((words[i + 1], rest[:cut]))
    return found


def parse(module: str, argv: list[str], monkeypatch) -> None:
    """Run `module`'s argparse parser on argv (SystemExit on an unknown option or a bad value)."""
    if module == "tfpt.report":
        from tfpt.report.__main__ import parser
        parser().parse_args(argv)
    elif module == "tfpt.report.history":
        from tfpt.report import history
        monkeypatch.setattr(history.Path, "is_dir", lambda self: False)  # stop right after parsing
        assert history.main(argv) == 3
    elif module == "tfpt.cli.ab":
        from tfpt.cli import ab
        monkeypatch.setattr(ab.Side, "__init__", lambda self, label, spec: None)
        monkeypatch.setattr(ab.Side, "check", lambda self, args: None)
        monkeypatch.setattr(ab, "writable_file", lambda *a: None)
        ab.parse_args(argv)
    elif module == "tfpt.cli.bench":
        from tfpt.cli import bench
        monkeypatch.setattr(bench.P, "check_storage", lambda *a, **k: None)
        monkeypatch.setattr(bench.P, "check_side", lambda *a, **k: None)
        bench.parse_args(argv)
    else:
        pytest.fail(f"{module}: a tfpt command this test knows how to parse; add it to parse()")


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_every_tfpt_command_in_a_workflow_parses(path, monkeypatch):
    commands = tfpt_commands(load(path))
    assert commands, f"{path.name} runs no tfpt command"
    for module, argv in commands:
        with monkeypatch.context() as m:
            parse(module, argv, m)


def test_a_misspelt_option_fails_the_check():
    """The negative control: an option the command does not have is refused by its parser."""
    with pytest.raises(SystemExit):
        parse("tfpt.report", ["--storage", "x", "--factr", "0.5"], pytest.MonkeyPatch())


def test_the_pull_request_ab_runs_base_and_head_in_one_job():
    doc = load(ROOT / ".github" / "workflows" / "pr-ab.yml")
    ((_, job),) = doc["jobs"].items()
    refs = [s.get("with", {}).get("ref", "") for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
    assert refs == ["${{ github.event.pull_request.head.sha }}", "${{ github.event.pull_request.base.sha }}"]
    ((module, argv),) = tfpt_commands(doc)
    assert module == "tfpt.cli.ab" and argv[:4] == ["--a", "base", "--b", "."]
    assert "--target" in argv and "--budget" in argv
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in job["steps"])


def test_the_nightly_keeps_its_tox_matrix_sharded_across_jobs():
    doc = load(ROOT / ".github" / "workflows" / "benchmarks.yml")
    envs = doc["jobs"]["bench"]["strategy"]["matrix"]["env"]
    assert len(envs) >= 2 and "${{ matrix.env }}" in str(doc["jobs"]["bench"]["steps"])
