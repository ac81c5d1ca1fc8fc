"""``manage.py import_catalog``: summary line, exit codes, progress on stderr."""
import io
import re

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Title
from tests.fixtures.pipeline import DISNEY, FIXTURES, NETFLIX

pytestmark = pytest.mark.django_db
SUMMARY = re.compile(r"^rows=\d+ created=\d+ updated=\d+ unchanged=\d+ rejected=\d+$")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_catalog", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_last_line_is_the_summary(capsys):
    out, _ = run("streaming", NETFLIX, DISNEY)
    err = capsys.readouterr().err
    last = out.strip().splitlines()[-1]
    assert SUMMARY.match(last)
    assert last == "rows=15 created=10 updated=2 unchanged=0 rejected=3"
    assert "resolution: matched=2 new=10 ambiguous=0" in out
    assert "import streaming" in err  # tqdm progress bar on stderr


def test_second_run_summary_all_unchanged():
    run("streaming", NETFLIX, "--no-progress")
    out, _ = run("streaming", NETFLIX, "--no-progress")
    assert out.strip().splitlines()[-1] == "rows=12 created=0 updated=0 unchanged=9 rejected=3"


def test_refused_file_exits_non_zero_and_writes_nothing():
    with pytest.raises(CommandError) as raised:
        run("streaming", NETFLIX, FIXTURES / "streaming" / "empty.csv")
    assert raised.value.returncode == 2
    assert Title.objects.count() == 0


def test_refusal_message_is_printed(capsys):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalog", "tmdb", str(NETFLIX), stdout=out, stderr=err)
    assert "refused:" in err.getvalue() and "wrong header" in err.getvalue()
    assert SUMMARY.match(out.getvalue().strip().splitlines()[-1])


def test_unknown_format_is_an_error():
    with pytest.raises(CommandError):
        run("csv", NETFLIX)


def test_process_exit_status_for_a_refused_file(capsys):
    """What manage.py does: run_from_argv turns the refusal into SystemExit with a non-zero status."""
    from catalog.management.commands.import_catalog import Command

    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_catalog", "streaming", str(FIXTURES / "streaming" / "latin1_titles.csv")])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "wrong encoding" in captured.err
    assert captured.out.strip().splitlines()[-1] == "rows=0 created=0 updated=0 unchanged=0 rejected=0"
