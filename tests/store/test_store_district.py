"""Import of a simulated district (issue 12, done when): `store import` of the exact engine's
log of a 140-unit district stores exactly the events `replay` accepts, in order, and verify
(with a full replay) is clean; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow.cli import main
from sfd_workflow.store import EventStore
from support.store import store_url_fixture  # noqa: F401

pytest.importorskip("numpy", reason="the district is simulated (the `sim` extra)")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The roster and the exact engine's event log of a 140-unit district (seed 2009)."""
    import yaml

    from sfd_workflow import sim

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sim.district(140, seed=2009, spec=spec)
    out = tmp_path_factory.mktemp("district")
    sim.run(spec, roster, engine="exact", seed=2009).write_events(out / "events.jsonl")
    (out / "roster.yaml").write_text(yaml.safe_dump(roster.to_document(), allow_unicode=True),
                                     encoding="utf-8")
    return out / "roster.yaml", out / "events.jsonl"


def test_import_of_a_district_stores_what_replay_accepts(
        store_url: str, district: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Every line's verdict is replay's verdict; the stored events are the accepted lines in
    order; verify --replay is clean."""
    roster_path, log = district
    spec = "builtin:xuhui-edu-2009"
    assert main(["replay", spec, str(roster_path), str(log)]) == 0
    replayed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert main(["store", "init", "--url", store_url, spec, str(roster_path)]) == 0
    assert main(["store", "import", "--url", store_url, "--batch", "1000", str(log)]) == 0
    imported = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert imported == replayed
    lines = log.read_text(encoding="utf-8").splitlines()
    accepted = [json.loads(lines[r["line"] - 1]) for r in replayed
                if r["verdict"] == "accepted"]
    assert len(accepted) > 40_000
    with EventStore.open(store_url) as store:
        assert [e.to_event() for e in store.stored_events()] == \
            [{**e, "payload": e.get("payload") or {}} for e in accepted]
        report = store.verify(replay=True)
        assert report.ok, report.lines()
