"""``ted test``: model references, clear errors, and a real end-to-end replay on moodbot."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_cli.commands.test_cmd import ModelRef, parse_model_ref
from ted_cli.errors import CliError


def test_an_existing_file_is_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "mood@2.tar.gz"
    archive.write_bytes(b"not checked here")
    assert parse_model_ref(str(archive)) == ModelRef(archive=archive)


@pytest.mark.parametrize(
    ("suffix", "version"), [("", "latest"), ("@3", 3), ("@best", "best"), ("@latest", "latest")]
)
def test_store_name_and_version_or_alias(tmp_path: Path, suffix: str, version: object) -> None:
    ref = parse_model_ref(f"{tmp_path}/mood{suffix}")
    assert (ref.store, ref.name, ref.version, ref.archive) == (tmp_path, "mood", version, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "--model is empty"),
        ("mood", "neither an archive file nor STORE/NAME"),
        ("{tmp}/mood@", "nothing after '@'"),
        ("{tmp}/missing.tar.gz", "no model archive at"),
        ("{tmp}/no-store/mood@1", "no model store at"),
    ],
)
def test_bad_references_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CliError, match=message):
        parse_model_ref(text.format(tmp=tmp_path))
