"""Hostile specs, rosters and models: each pinned to its exact one-line message and line.

Every case runs the real CLI (`main([...])`), which must exit 2 with the pinned message first
on stderr, fast and never with a traceback (issue 13: bounded parsing; issue 15: errors that
teach). The API cases check that only exceptions of `sfd_workflow.errors` come out.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sfd_workflow import load_roster, load_spec, roster_from_document, spec_from_document
from sfd_workflow._spec import _marks
from sfd_workflow._spec._loader import spec_from_text
from sfd_workflow.cli import main
from sfd_workflow.errors import RosterError, SimModelError, SpecError
from sfd_workflow.sim import load_sim_model

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC = (DATA / "review.yaml").read_text(encoding="utf-8")
ROSTER = (DATA / "review.roster.yaml").read_text(encoding="utf-8")

# "Billion laughs": 9 aliases a level, 8 levels, 307 bytes; expanded, 43 million strings.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))

PP = "phases[0].steps[0].transitions[1].guard.per_person.at_least"

# (case id, old text, new text, expected first line of stderr after "sfd-workflow: error: ")
SPEC_CASES = [
    ("at-least-nan", "at_least: 48", "at_least: .nan",
     f"spec.yaml:40: {PP}: must be a finite number, not nan"),
    ("at-least-inf", "at_least: 48", "at_least: -.inf",
     f"spec.yaml:40: {PP}: must be a finite number, not -inf"),
    ("due-9999", "due: 2009-06-15", "due: 9999-12-31",
     "spec.yaml:65: phases[1].steps[0].transitions[0].due: date 9999-12-31 is outside the "
     "years 1970 to 2199"),
    ("due-year-1", "due: 2009-06-15", "due: '0001-01-01'",
     "spec.yaml:65: phases[1].steps[0].transitions[0].due: date 0001-01-01 is outside the "
     "years 1970 to 2199"),
    ("integer-5000-digits", "at_least: 48", "at_least: " + "9" * 5000,
     "spec.yaml:40: not valid YAML: an integer of more than 100 digits"),
    ("escape-character", "title: {zh: 学习, en: Learn}", "title: {zh: 学习, en: Learn\x1b}",
     "spec.yaml:29: not valid YAML: the character U+001B is not allowed in YAML text (remove "
     'it, or write it as "\\x1b" inside double quotes)'),
    ("c1-character", "title: {zh: 学习, en: Learn}", "title: {zh: 学习, en: Learn\x9b}",
     "spec.yaml:29: not valid YAML: the character U+009B is not allowed in YAML text (remove "
     'it, or write it as "\\x9b" inside double quotes)'),
    ("complex-key", "id: review-demo", "? [a, b]\n: c\nid: review-demo",
     "spec.yaml:2: a key must be a plain value (a string or a number), not a list or a mapping"),
    ("alias-in-itself", "id: review-demo", "id: review-demo\nx: &x [*x]",
     "spec.yaml:3: not valid YAML: alias *x refers to a node that contains it"),
    ("flow-nesting", "id: review-demo", "id: " + "[" * 5000,
     "spec.yaml:2: not valid YAML: nested more than 100 levels deep"),
    ("block-nesting", "id: review-demo",
     "id:\n" + "".join(" " * i + "- \n" for i in range(1, 300)),
     "spec.yaml:102: not valid YAML: nested more than 100 levels deep"),
    # issue 15, errors that teach
    ("comma-in-flow-mapping", "title: {zh: 学习, en: Learn}",
     "title: {zh: 找问题, en: Find problems, criticism}",
     "spec.yaml:29: phases[0].steps[0].title.criticism: a text map maps a language code to a "
     "non-empty string; a comma inside {…} ends the entry, so 'criticism' became a key of its "
     "own: if it belongs to the text before it, quote the text, e.g. en: "
     '"Find problems, criticism"'),
    ("comma-in-guard", "guard: {role: secretary}\n            records: report_draft",
     "guard: {role: secretary, has}\n            records: report_draft",
     "spec.yaml:63: phases[1].steps[0].transitions[0].guard.has: must be a list of record "
     "kinds, not null; a comma inside {…} ends the entry, so 'has' became a key of its own: if "
     'it belongs to the text before it, quote the text, e.g. role: "secretary, has"'),
    ("colon-in-flow-mapping", "title: {zh: 学习, en: Learn}",
     "title: {zh: 学习, en: Step 1: learn}",
     "spec.yaml:29: not valid YAML: expected ',' or '}', but got ':'; inside {…} a value that "
     'holds \': \' must be quoted, e.g. en: "Step 1: learn"'),
    ("colon-in-value", "timezone: Asia/Shanghai", "timezone: Asia/Shanghai: x",
     "spec.yaml:4: not valid YAML: mapping values are not allowed here; a ': ' inside a value "
     'starts a mapping: quote the value, e.g. timezone: "Asia/Shanghai: x"'),
    ("no-space-after-colon", "timezone: Asia/Shanghai", "timezone:Asia/Shanghai",
     "spec.yaml:4: not valid YAML: could not find expected ':'; put a space after the colon: "
     "write 'timezone: Asia/Shanghai'"),
    ("key-indented-too-far", "\ntimezone: Asia/Shanghai", "\n  timezone: Asia/Shanghai",
     "spec.yaml:4: not valid YAML: expected <block end>, but found '<block mapping start>'; "
     "this key is indented more than the key before it, whose value is already given: line "
     "the keys of one mapping up in the same column"),
    ("key-under-a-value", "\ntimezone: Asia/Shanghai", "\ntimezone: Asia/Shanghai\n  x: y",
     "spec.yaml:5: not valid YAML: mapping values are not allowed here; this key is indented "
     "more than the key before it, whose value is already given: line the keys of one mapping "
     "up in the same column"),
    ("key-indented-too-little", "        title: {zh: 学习, en: Learn}",
     "       title: {zh: 学习, en: Learn}",
     "spec.yaml:29: not valid YAML: expected <block end>, but found '<block mapping start>'; "
     "this line is indented less than the lines before it but not as far back as any key "
     "above: line it up with the keys it belongs with"),
    ("tab", "\ntimezone: Asia/Shanghai", "\n\ttimezone: Asia/Shanghai",
     "spec.yaml:4: not valid YAML: found character '\\t' that cannot start any token; YAML "
     "indents with spaces, never tabs: replace the tab with spaces"),
]

# (case id, file name, whole text, expected)
FILE_CASES = [
    ("billion-laughs", "spec.yaml", LAUGHS,
     "spec.yaml:6: not valid YAML: aliases expand to more than 100,000 nodes"),
    ("nul", "spec.yaml", "format: \x00\n",
     "spec.yaml:1: not valid YAML: the character U+0000 is not allowed in YAML text (remove "
     'it, or write it as "\\x00" inside double quotes)'),
    ("no-space-whole-file", "spec.yaml", "format:sfd-workflow/1\n",
     "spec.yaml:1: must be a mapping, not a string; to give 'format' a value, put a space "
     "after the colon: write 'format: sfd-workflow/1'"),
    ("json-duplicate-key", "spec.json", '{\n  "format": "sfd-workflow/1",\n  "id": "a",\n'
     '  "id": "b"\n}\n', "spec.json:4: id: duplicate key 'id' (first at line 3)"),
    ("json-nesting", "spec.json", "[" * 100_000 + "]" * 100_000,
     "spec.json:1: nested more than 100 levels deep"),
    ("json-integer-digits", "spec.json", '{\n  "id":\n  ' + "1" * 5000 + "\n}",
     "spec.json:3: id: an integer of more than 100 digits"),
    ("json-nan", "spec.json", '{\n  "id": NaN\n}',
     "spec.json:2: not valid JSON: NaN is not valid JSON"),
]

UNIT_S1 = "roster.yaml:14: units[1].people[3].id"
ROSTER_CASES = [
    ("zero-width-space", "{id: d, roles", '{id: "d\\u200b", roles',
     f"{UNIT_S1}: person id 'd\\u200b' has an invisible character U+200B; ids must be "
     "printable"),
    ("hangul-filler", "{id: d, roles", "{id: d\u3164, roles",
     f"{UNIT_S1}: person id 'd\u3164' has an invisible character U+3164; ids must be "
     "printable"),
    ("lone-surrogate", "{id: d, roles", '{id: "\\ud800", roles',
     f"{UNIT_S1}: person id '\\ud800' has an invisible character U+D800; ids must be "
     "printable"),
    ("space-at-end", "{id: d, roles", '{id: "d ", roles',
     f"{UNIT_S1}: person id 'd ' starts or ends with a space"),
    ("nfc-duplicate", "{id: c, roles: [member]}\n      - {id: d,",
     "{id: \u00e9, roles: [member]}\n      - {id: e\u0301,",
     f"{UNIT_S1}: duplicate person id '\u00e9' in unit 's1'"),
    ("roster-nesting", "    kind: school\n", "    kind: school\n    title: " + "[" * 5000 + "\n",
     "roster.yaml:9: not valid YAML: nested more than 100 levels deep"),
    ("roster-laughs", "units:\n", LAUGHS + "units:\n",
     "roster.yaml:6: not valid YAML: aliases expand to more than 100,000 nodes"),
    ("roster-duplicate-key", "    kind: school\n", "    kind: school\n    kind: school\n",
     "roster.yaml:9: units[1].kind: duplicate key 'kind' (first at line 8)"),
]


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


def _first_error(capsys: pytest.CaptureFixture[str], argv: list[str], tmp: Path) -> str:
    start = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == 2, err
    assert elapsed < 20, f"took {elapsed:.1f} s"  # a hang guard, not a benchmark
    first = err.splitlines()[0]
    assert first.startswith("sfd-workflow: error: "), err
    return first.removeprefix("sfd-workflow: error: ").replace(str(tmp) + "/", "")


@pytest.mark.parametrize(("old", "new", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in SPEC_CASES])
def test_hostile_spec_gets_one_line_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        expected: str) -> None:
    """A hostile or mistyped spec exits 2 with one line naming the file and the line."""
    assert SPEC.count(old) == 1, f"the case must change exactly one place: {old!r}"
    spec = _write(tmp_path, "spec.yaml", SPEC.replace(old, new))
    assert _first_error(capsys, ["validate", spec], tmp_path) == expected


@pytest.mark.parametrize(("name", "text", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in FILE_CASES])
def test_hostile_spec_file_gets_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str,
        expected: str) -> None:
    """Whole hostile files (aliases, nesting, JSON duplicates) fail fast with one line."""
    spec = _write(tmp_path, name, text)
    assert _first_error(capsys, ["validate", spec], tmp_path) == expected


def test_billion_laughs_is_307_bytes() -> None:
    """The alias case is the 307-byte file of the report, not a smaller cousin."""
    assert len(LAUGHS.encode()) == 307


@pytest.mark.parametrize(("old", "new", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in ROSTER_CASES])
def test_hostile_roster_gets_one_line_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        expected: str) -> None:
    """Invisible, unnormalised or repeated ids in a roster are load errors naming the line."""
    assert ROSTER.count(old) == 1, f"the case must change exactly one place: {old!r}"
    spec = _write(tmp_path, "spec.yaml", SPEC)
    roster = _write(tmp_path, "roster.yaml", ROSTER.replace(old, new))
    assert _first_error(capsys, ["validate", spec, "--roster", roster], tmp_path) == expected


def test_json_roster_duplicate_key_is_an_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """JSON rosters reject duplicate keys like YAML ones, with the line of the second."""
    spec = _write(tmp_path, "spec.yaml", SPEC)
    roster = _write(tmp_path, "roster.json", '{"units": [\n  {"id": "s1", "kind": "school",\n'
                    '   "kind": "school"}\n]}\n')
    assert _first_error(capsys, ["validate", spec, "--roster", roster], tmp_path) == (
        "roster.json:3: units[0].kind: duplicate key 'kind' (first at line 2)")


def test_look_alike_ids_of_one_unit_are_a_warning(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Two person ids of one unit that differ only by a Cyrillic look-alike get a warning."""
    spec = _write(tmp_path, "spec.yaml", SPEC)
    roster = _write(tmp_path, "roster.yaml",
                    ROSTER.replace("{id: d, roles", "{id: \u0441, roles"))  # Cyrillic es
    assert main(["validate", spec, "--roster", roster]) == 0
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "").splitlines()
    assert err[0] == ("warning: roster.yaml:14: units[1].people[3].id: person id of unit 's1' "
                      "'\u0441' looks like 'c' (line 13): they are two different ids")


def test_export_never_writes_through_a_symbolic_link(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dangling link in the target directory is refused, even with --force."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.yaml").symlink_to(tmp_path / "outside.yaml")
    message = _first_error(capsys, ["specs", "--export", "xuhui-edu-2009", str(out),
                                    "--force"], tmp_path)
    assert message == "out/roster.yaml: is a symbolic link; --export never writes through one"
    assert not (tmp_path / "outside.yaml").exists()
    assert not (out / "spec.yaml").exists()


def test_negative_seed_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    """`simulate --seed -1` exits 2 with one line, before any work."""
    message = _first_error(capsys, ["simulate", "builtin:xuhui-edu-2009", "--district", "6",
                                    "--seed", "-1"], tmp_path)
    assert message == "Invalid value for '--seed': -1 is not in the range x>=0. (see --help)"


def test_oversized_file_is_refused_before_parsing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A file larger than MAX_BYTES is one error, whatever is in it."""
    monkeypatch.setattr(_marks, "MAX_BYTES", 1000)
    spec = _write(tmp_path, "spec.yaml", SPEC)
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert str(info.value) == f"{spec}: is larger than 1,000 bytes, the most a document may be"
    with pytest.raises(SpecError, match="is larger than 1,000 bytes"):
        spec_from_text(SPEC)


def _nested(depth: int) -> list[object]:
    out: list[object] = []
    for _ in range(depth - 1):
        out = [out]
    return out


def test_api_raises_only_library_errors_for_bad_documents() -> None:
    """Documents given as Python values: cycles, depth and huge integers are SpecErrors."""
    cycle: dict[str, object] = {"format": "sfd-workflow/1"}
    cycle["roles"] = cycle
    with pytest.raises(SpecError, match="nested more than 100 levels deep"):
        spec_from_document(cycle)
    with pytest.raises(SpecError, match="an integer of more than 100 digits"):
        spec_from_document({"format": 10 ** 5000})
    with pytest.raises(SpecError) as info:
        spec_from_document({"format": _nested(99)})
    assert "<document>: format: must be exactly 'sfd-workflow/1', not [[[[[[[...]]]]]]]" in \
        info.value.describe().splitlines()
    with pytest.raises(SpecError, match=r"^a\\x00b: no such file$"):
        load_spec("a\x00b")
    spec = spec_from_text(SPEC, "spec.yaml")
    with pytest.raises(RosterError, match=r"units\[0\]: must be a mapping, not a list"):
        roster_from_document({"units": _nested(5000)}, spec)
    unit: dict[str, object] = {"id": "s1", "kind": "school"}
    unit["people"] = [unit]
    with pytest.raises(RosterError, match=r"people\[0\]\.kind: unknown key 'kind'"):
        roster_from_document({"units": [unit]}, spec)


def test_sim_model_is_parsed_within_the_limits(tmp_path: Path) -> None:
    """A simulation model gets the same bounds and one-line errors as a spec."""
    spec = spec_from_text(SPEC, "spec.yaml")
    laughs = _write(tmp_path, "model.yaml", LAUGHS)
    with pytest.raises(SimModelError) as info:
        load_sim_model(laughs, spec)
    assert str(info.value) == f"{laughs}:6: not valid YAML: aliases expand to more than " \
                              "100,000 nodes"
    deep = _write(tmp_path, "model.json", "[" * 5000)
    with pytest.raises(SimModelError, match=r"model.json:1: nested more than 100 levels"):
        load_sim_model(deep, spec)
    late = _write(tmp_path, "late.yaml", "format: sfd-workflow-sim/1\nspec: review-demo\n"
                  "calendar: weekdays\nstart: 9999-12-31\n")
    with pytest.raises(SimModelError) as info:
        load_sim_model(late, spec)
    assert str(info.value) == f"{late}:4: start: date 9999-12-31 is outside the years 1970 " \
                              "to 2199"
    twice = _write(tmp_path, "twice.json", '{"format": "sfd-workflow-sim/1",\n'
                   ' "format": "sfd-workflow-sim/1"}')
    with pytest.raises(SimModelError) as info:
        load_sim_model(twice, spec)
    assert str(info.value) == f"{twice}:2: format: duplicate key 'format' (first at line 1)"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(SimModelError, match="not UTF-8 text"):
        load_sim_model(str(latin), spec)


def test_roster_file_loads_with_nfc_ids(tmp_path: Path) -> None:
    """A decomposed id is stored composed (NFC), so events naming it either way match."""
    spec = spec_from_text(SPEC, "spec.yaml")
    roster = load_roster(_write(tmp_path, "roster.yaml",
                                ROSTER.replace("{id: d, roles", "{id: e\u0301, roles")), spec)
    assert [p.id for p in roster.by_id["s1"].people][3] == "\u00e9"


def test_vacuous_guards_are_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`quorum: all` and `per_person` with no holder of the role, `children` without
    children: each guard that holds trivially is named once, with its units."""
    spec = _write(tmp_path, "spec.yaml", SPEC.replace("at_least: majority}", "at_least: all}"))
    roster = _write(tmp_path, "roster.yaml", ROSTER.replace(
        "{id: x, roles: [secretary, member]}", "{id: x, roles: [secretary]}").replace(
        "{id: y, roles: [member]}", "{id: y, roles: [secretary]}"))
    assert main(["validate", spec, "--roster", roster]) == 0
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "").splitlines()
    assert [w for w in err if "holds trivially" in w] == [
        "warning: roster.yaml: the children guard of 'close' holds trivially in 3 units (no "
        "child units): s1, j1, r1",
        "warning: roster.yaml: the per_person guard of 'finish_learning' holds trivially in 1 "
        "unit (nobody holds the role member): j1",
        "warning: roster.yaml: the quorum of 'approve_report' holds trivially in 1 unit (it "
        "needs no member): j1",
    ]


def test_look_alike_unit_ids_are_a_warning(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Unit ids that differ only by full-width or Greek look-alikes are named with the line."""
    spec = _write(tmp_path, "spec.yaml", SPEC)
    roster = _write(tmp_path, "roster.yaml", ROSTER.replace("id: r1", "id: \uff53\u0399"))
    assert main(["validate", spec, "--roster", roster]) == 0
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "").splitlines()
    assert err[0] == ("warning: roster.yaml:22: units[3].id: unit id '\uff53\u0399' looks like "
                      "'s1' (line 7): they are two different ids")
