"""Synthetic rosters: a realistic district (people and roles) or a nation (arrays only).

A district education system has on the order of 100-300 party organisations (BRIEF.md,
*Scale*): the bureau's organs, primary-school and kindergarten general branches (R21) with
their sub-branches, secondary schools directly under the committee, joint branches of small
units (R18) and retired cadres' branches (R24). Branch sizes follow the kind: 3-15 members
in a kindergarten, up to 60 in a large secondary school.

The national campaign covered millions of organisations (3.7 million is used in `bench/`).
`national` returns only what the fast engine needs: kind codes, parent indices and member
counts, as numpy arrays; no person is materialised.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._spec._model import Person, Roster, Spec, Text, Unit
from sfd_workflow.sim._errors import SimulationError

__all__ = ["UnitArrays", "district", "national", "unit_arrays"]

#: the unit kinds the generators produce (those of the built-in spec)
KINDS = ("organ", "general_branch", "school", "kindergarten", "joint_branch", "retired_branch",
         "institution", "no_committee_branch")

# members per kind: triangular (min, mode, max); 3-60 overall
_MEMBERS = {
    "organ": (12, 25, 50),
    "general_branch": (4, 6, 12),
    "school": (8, 22, 60),
    "kindergarten": (3, 7, 15),
    "joint_branch": (3, 6, 12),
    "retired_branch": (5, 15, 40),
    "institution": (5, 12, 30),
    "no_committee_branch": (3, 4, 6),  # R18: small branches without a committee
}
# share of units by kind in a district (organs and general branches are fixed counts below)
_SHARES = {"school": 0.52, "kindergarten": 0.22, "joint_branch": 0.10, "retired_branch": 0.08,
           "institution": 0.04, "no_committee_branch": 0.04}
#: kinds a small district may lack (it still has one of each of the others)
_OPTIONAL = ("institution", "no_committee_branch")
_ZH = {
    "organ": "教育局机关第{n}党支部",
    "general_branch": "{what}党总支",
    "school": "第{n}中小学党支部",
    "kindergarten": "第{n}幼儿园党支部",
    "joint_branch": "第{n}联合党支部",
    "retired_branch": "第{n}离休干部党支部",
    "institution": "第{n}教育机构党支部",
    "no_committee_branch": "第{n}党支部（不设支委会）",
}


@attrs.frozen(kw_only=True, eq=False)
class UnitArrays:
    """Units as parallel arrays: what the fast engine needs, nothing per person.

    Attributes:
        kind_names: the unit kinds; `kind` holds indices into it.
        kind: each unit's kind code.
        parent: each unit's parent index, -1 for none (parents may come after children).
        members: party members per unit.
        ids: unit ids when the units come from a roster (None for `national`).
    """

    kind_names: tuple[str, ...]
    kind: npt.NDArray[np.int8]
    parent: npt.NDArray[np.int64]
    members: npt.NDArray[np.int32]
    ids: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def depth(self) -> npt.NDArray[np.int64]:
        """Each unit's distance from its root (0 for units without a parent)."""
        depth = np.zeros(len(self), dtype=np.int64)
        cur = self.parent.copy()
        for _ in range(len(self) + 1):
            has = cur >= 0
            if not has.any():
                return depth
            depth[has] += 1
            cur = np.where(has, self.parent[np.maximum(cur, 0)], -1)
        msg = "the unit hierarchy has a cycle"
        raise SimulationError(msg)

    def kinds_of(self) -> npt.NDArray[np.object_]:
        """Each unit's kind name."""
        return np.asarray(self.kind_names, dtype=object)[self.kind]

    def take(self, idx: npt.NDArray[np.intp]) -> UnitArrays:
        """The units at `idx` (parents outside the selection become -1)."""
        remap = np.full(len(self), -1, dtype=np.int64)
        remap[idx] = np.arange(len(idx))
        par = self.parent[idx]
        par = np.where(par >= 0, remap[np.maximum(par, 0)], -1)
        ids = tuple(self.ids[i] for i in idx) if self.ids is not None else None
        return UnitArrays(kind_names=self.kind_names, kind=self.kind[idx], parent=par,
                          members=self.members[idx], ids=ids)


def unit_arrays(roster: Roster, spec: Spec) -> UnitArrays:
    """The arrays of a roster's units (members = people holding the roster role ``member``)."""
    names = tuple(spec.unit_kinds)
    code = {k: i for i, k in enumerate(names)}
    index = {u.id: i for i, u in enumerate(roster.units)}
    kind = np.fromiter((code[u.kind] for u in roster.units), dtype=np.int8, count=len(roster))
    parent = np.fromiter((index[u.parent] if u.parent is not None else -1 for u in roster.units),
                         dtype=np.int64, count=len(roster))
    members = np.fromiter((sum(1 for p in u.people if "member" in p.roles)
                           for u in roster.units), dtype=np.int32, count=len(roster))
    return UnitArrays(kind_names=names, kind=kind, parent=parent, members=members,
                      ids=tuple(u.id for u in roster.units))


def _check_kinds(spec: Spec | None) -> None:
    if spec is None:
        return
    missing = [k for k in KINDS if k not in spec.unit_kinds]
    if missing:
        msg = (f"the generators make the unit kinds of builtin:xuhui-edu-2009; spec "
               f"{spec.id!r} lacks {', '.join(missing)}")
        raise SimulationError(msg)


def _tri(rng: np.random.Generator, kind: str, size: int | None = None) -> npt.NDArray[np.int32]:
    a, m, b = _MEMBERS[kind]
    return np.rint(rng.triangular(a, m, b, size)).astype(np.int32)


def _people(rng: np.random.Generator, uid: str, kind: str, members: int) -> tuple[Person, ...]:
    """People of one unit with the built-in spec's roster roles (see its sample roster)."""
    roles: list[list[str]] = [["member"] for _ in range(members)]
    roles[0] += ["secretary"]
    has_committee = kind not in ("joint_branch", "retired_branch", "no_committee_branch")
    if has_committee:
        size = 3 if members < 25 else 5
        for r in roles[:min(size, members)]:
            r.append("committee")
    if kind in ("school", "kindergarten"):
        # R19: a party-member principal; in a small unit the secretary is the principal
        i = 0 if members < 8 else 1
        roles[i] += ["principal", "leading_cadre"]
        roles[0].append("leading_cadre")
    elif kind in ("organ", "general_branch", "institution", "no_committee_branch"):
        cadres = 1 + int(rng.integers(1, 4)) if kind in ("organ", "institution") else 1
        for r in roles[:min(cadres, members)]:
            r.append("leading_cadre")
    people = [Person(id=f"{uid}-{i + 1:02d}", roles=tuple(dict.fromkeys(r)))
              for i, r in enumerate(roles)]
    n = len(people)
    if kind in ("school", "kindergarten", "organ", "institution"):
        for _ in range(int(rng.integers(0, 3))):  # R20: non-party leading cadres
            n += 1
            people.append(Person(id=f"{uid}-{n:02d}", roles=("non_party_cadre",)))
    if kind != "retired_branch":
        for _ in range(1 + int(rng.integers(0, 3))):  # R14: masses' representatives
            n += 1
            people.append(Person(id=f"{uid}-{n:02d}", roles=("masses_rep",)))
    return tuple(people)


def _layout(n_units: int, rng: np.random.Generator) -> tuple[list[str], list[int]]:
    """Kinds and parent indices of a district of `n_units` units."""
    if n_units < 6:
        msg = (f"a district needs at least 6 units (one of each kind it always has), "
               f"got {n_units}")
        raise SimulationError(msg)
    n_org = max(1, round(n_units * 0.03))
    n_gb = max(2, 2 * round(n_units / 140))
    rest = n_units - n_org - n_gb
    counts = {k: max(int(k not in _OPTIONAL), round(rest * s)) for k, s in _SHARES.items()}
    counts["school"] += rest - sum(counts.values())
    kinds = (["organ"] * n_org + ["general_branch"] * n_gb
             + [k for k, c in counts.items() for _ in range(c)])
    parents = [-1] * len(kinds)
    gbs_p = list(range(n_org, n_org + n_gb, 2))  # primary-school general branches
    gbs_k = list(range(n_org + 1, n_org + n_gb, 2))  # kindergarten general branches
    for i, k in enumerate(kinds):
        # R21: primary schools (about 60%) and most kindergartens sit under a general branch
        if k == "school" and rng.random() < 0.6:
            parents[i] = int(rng.choice(gbs_p))
        elif k == "kindergarten" and rng.random() < 0.8:
            parents[i] = int(rng.choice(gbs_k))
    return kinds, parents


def district(n_units: int = 140, seed: int = 0, *, spec: Spec | None = None,
             prefix: str = "d") -> Roster:
    """A realistic district roster of `n_units` party organisations for the built-in spec.

    Kinds: about 3% bureau organs, primary-school and kindergarten general branches with
    sub-branches (R21), 52% schools, 22% kindergartens, 10% joint branches (no committee,
    R18), 8% retired cadres' branches (R24), 4% institutions (R24) and 4% small branches
    without a committee (R18; none in a district under about 40 units). People: 3-60
    members by kind, a secretary, a committee of 3 or 5 where the branch has one, principals
    and leading cadres (R19, R23), non-party cadres (R20) and masses' representatives (R14).

    Args:
        n_units: at least 6.
        seed: the same seed gives the same roster.
        spec: when given, checked to have the generator's unit kinds.
    """
    _check_kinds(spec)
    rng = np.random.default_rng(seed)
    kinds, parents = _layout(n_units, rng)
    n_of: dict[str, int] = {}
    ids: list[str] = []
    short = {"organ": "org", "general_branch": "gb", "school": "sch", "kindergarten": "kg",
             "joint_branch": "jb", "retired_branch": "rb", "institution": "inst",
             "no_committee_branch": "nc"}
    for k in kinds:
        n_of[k] = n_of.get(k, 0) + 1
        ids.append(f"{prefix}-{short[k]}-{n_of[k]:03d}")
    units = []
    counter: dict[str, int] = {}
    for i, (k, p) in enumerate(zip(kinds, parents, strict=True)):
        counter[k] = counter.get(k, 0) + 1
        if k == "general_branch":
            what = "小学" if counter[k] % 2 else "幼教"
            title = _ZH[k].format(what=f"第{(counter[k] + 1) // 2}{what}")
        else:
            title = _ZH[k].format(n=counter[k])
        members = int(np.clip(_tri(rng, k), 3, 60))
        units.append(Unit(id=ids[i], kind=k, people=_people(rng, ids[i], k, members),
                          parent=ids[p] if p >= 0 else None, title=Text({"zh": title})))
    return Roster(units=tuple(units), source=f"<district n={n_units} seed={seed}>")


def national(n_units: int = 3_700_000, seed: int = 0, *, spec: Spec | None = None,
             kind_names: Sequence[str] | None = None) -> UnitArrays:
    """A national-scale set of units as arrays (no people): kinds, parents, member counts.

    Same shares as `district`; about 4% of units are general branches, each parenting
    primary schools and kindergartens drawn at random.
    """
    _check_kinds(spec)
    names = tuple(kind_names or (spec.unit_kinds if spec is not None else KINDS))
    code = {k: i for i, k in enumerate(names)}
    rng = np.random.default_rng(seed)
    shares = {"organ": 0.03, "general_branch": 0.04,
              **{k: s * 0.93 for k, s in _SHARES.items()}}
    probs = np.array([shares[k] for k in KINDS])
    local = rng.choice(len(KINDS), size=n_units, p=probs / probs.sum())
    local[:len(KINDS)] = np.arange(len(KINDS))  # at least one of each kind
    to_spec = np.array([code[k] for k in KINDS], dtype=np.int8)
    kind = to_spec[local]
    gbs = np.flatnonzero(local == KINDS.index("general_branch"))
    parent = np.full(n_units, -1, dtype=np.int64)
    child = ((local == KINDS.index("school")) & (rng.random(n_units) < 0.6)) | (
        (local == KINDS.index("kindergarten")) & (rng.random(n_units) < 0.8))
    parent[child] = gbs[rng.integers(0, len(gbs), int(child.sum()))]
    members = np.zeros(n_units, dtype=np.int32)
    for i, k in enumerate(KINDS):
        m = local == i
        members[m] = np.clip(_tri(rng, k, int(m.sum())), 3, 60)
    return UnitArrays(kind_names=names, kind=kind, parent=parent, members=members)
