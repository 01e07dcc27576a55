"""The exporter writes a provider's spec only inside the exports root, whatever its id
(ids are checked at ingest as well; exports/wholesale.py:spec_folder is the second lock)."""

from __future__ import annotations

import pytest

from exports.wholesale import ExportConflict, spec_folder


def test_a_safe_id_gets_its_folder_under_the_root(tmp_path):
    assert spec_folder(tmp_path, "P-1.a_b", "2026-01") == tmp_path.resolve() / "P-1.a_b/2026-01"


@pytest.mark.parametrize("provider_id", ["../x", "a/b", "/etc", "..", ".", "", "x/../../y"])
def test_an_id_that_would_leave_the_root_is_refused(tmp_path, provider_id):
    with pytest.raises(ExportConflict, match="outside"):
        spec_folder(tmp_path / "exports", provider_id, "2026-01")


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "exports" / "P1").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ExportConflict, match="outside"):
        spec_folder(tmp_path / "exports", "P1", "2026-01")
