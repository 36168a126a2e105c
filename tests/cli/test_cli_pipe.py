"""Every `fae` command ends quietly on a closed pipe (`fae audit history ... | head`).

Issue 24: the output's reader going away ended in a BrokenPipeError traceback. The child's
standard output here is a pipe whose reading end is closed before the child starts, so its
first write fails with EPIPE, deterministically.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [["--help"], ["version"], ["ca", "--help"], ["audit", "--help"]])
def test_a_closed_pipe_ends_quietly(argv):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write to the pipe fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "faechain", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr


def test_a_url_of_another_scheme_is_a_usage_error(capsys):
    """`fae tx --url ftp://x` said "cannot reach http://ftp://x"; now it names the scheme."""
    from faechain.cli.main import main

    assert main(["block", "latest", "--url", "ftp://x"]) == 2
    err = capsys.readouterr().err
    assert "'ftp' is not a scheme faechain speaks" in err and "http://ftp://" not in err
