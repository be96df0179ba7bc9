"""python -m tfpt.cli.backends: a wrong --frameworks is one line and exit 2, before any worker starts (the other
mistakes: tests/command_preflight_cases.py)."""
import pytest

from tfpt.cli import backends


def test_unknown_backend_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's exit, through the suite's one-line Parser.error
        backends.main(["--frameworks", "jax"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "got 'jax'" in err and "keras-torch" in err, err


def test_the_default_is_every_installed_backend_and_names_the_others(monkeypatch, capsys):
    from tfpt import frameworks
    from tfpt.cli import backends
    ids = [b.id for b in frameworks.keras_backends()]
    monkeypatch.setattr(frameworks, "installed", lambda fw: fw != ids[-1])  # the last one absent, as JAX is here
    assert backends._installed_backends() == ids[:-1]
    assert capsys.readouterr().err.startswith(f"note: {ids[-1]} left out: ")
    monkeypatch.setattr(frameworks, "installed", lambda fw: False)  # none at all: a usage error, not an empty run
    with pytest.raises(backends.UserError):
        backends._installed_backends()
