"""Fuzzing faechain's decoders of outside bytes (see fuzz/README.md).

`fuzz.targets` holds one function per decoder with the properties it must keep; the
bounded suite (tests/fuzz) runs them under hypothesis and, for a few seconds each, under
atheris; `python -m fuzz.run --seconds 600` (or `fuzz/run.sh`) is the longer run.
"""
