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
