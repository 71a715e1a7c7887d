"""Synthetic rosters from a hierarchy model: a district (people and roles) or a nation (arrays).

The units come from a `Hierarchy` (`_hierarchy`): the spec's packaged model (for the
built-in spec: province, city, county, district and grassroots levels) or one derived from
the spec. `_layout` builds the tree level by level, top first:

* the top level has about ``n / E`` units, where E is the expected size of the tree under
  one top unit (the product of the mean children per parent, level by level);
* each unit of a level whose kind is in the next level's ``parents`` has ``per_parent``
  children; the last level takes whatever is left of `n`, spread over its parents in
  proportion to their drawn number of children;
* kinds are drawn by the level's shares, with at least one unit of each kind.

`national` returns only what the fast engine needs: kind codes, parent indices and member
counts, as numpy arrays; no person is materialised. `district` gives each unit its people.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._spec._loader import load_spec
from sfd_workflow._spec._model import Person, Roster, Spec, Text, Unit
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._errors import SimulationError
from sfd_workflow.sim._hierarchy import Hierarchy, KindMix, Level, default_hierarchy

__all__ = ["UnitArrays", "district", "national", "unit_arrays"]

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


#: at most this many members per unit, and people outside the membership per role
MAX_MEMBERS = 10_000


def _spec_and_model(spec: Spec | None, hierarchy: Hierarchy | None) -> tuple[Spec, Hierarchy]:
    if spec is None:
        spec = load_spec("builtin:xuhui-edu-2009")
    model = hierarchy if hierarchy is not None else default_hierarchy(spec)
    if model.spec_id != spec.id:
        msg = f"the hierarchy model is for spec {model.spec_id!r}, not {spec.id!r}"
        raise SimulationError(msg)
    return spec, model


def _tree_size(levels: Sequence[Level]) -> float:
    """Expected units in the tree under (and including) one unit of the top level."""
    size, width = 1.0, 1.0
    for above, lv in itertools.pairwise(levels):
        takes = sum(s for k, s in zip(above.kinds, above.shares, strict=True)
                    if not lv.parents or k in lv.parents)
        assert lv.per_parent is not None
        width *= takes * lv.per_parent.mean()
        size += width
    return size


def _counts(d: Dist | None, rng: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
    assert d is not None
    return np.maximum(np.rint(d.sample(rng, size)), 0).astype(np.int64)


def _layout(levels: Sequence[Level], n: int, rng: np.random.Generator, what: str
            ) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Kinds (an index into the returned names), parents and levels of `n` units."""
    minimum = sum(len(lv.kinds) for lv in levels)
    if n < minimum:
        msg = (f"{what} needs at least {minimum} units (one of each kind at each level), "
               f"got {n}")
        raise SimulationError(msg)
    names = list(dict.fromkeys(k for lv in levels for k in lv.kinds))
    code = {k: i for i, k in enumerate(names)}
    kinds: list[npt.NDArray[np.int64]] = []
    parents: list[npt.NDArray[np.int64]] = []
    used = 0
    above = np.zeros(0, dtype=np.int64)  # global indices of the level above
    above_kind = np.zeros(0, dtype=np.int64)
    for i, lv in enumerate(levels):
        rest = sum(len(x.kinds) for x in levels[i + 1:])
        room = n - used - rest
        if i == 0:
            count = max(len(lv.kinds), min(room, round(n / _tree_size(levels))))
            par = np.full(count, -1, dtype=np.int64)
        else:
            want = np.array([code[k] for k in (lv.parents or levels[i - 1].kinds)])
            elig = above[np.isin(above_kind, want)]
            weights = np.minimum(_counts(lv.per_parent, rng, len(elig)), n)
            if i == len(levels) - 1:
                count = room
                w = weights if weights.sum() else np.ones(len(elig), dtype=np.int64)
                par = np.repeat(elig, rng.multinomial(count, w / w.sum()))
            else:
                par = np.repeat(elig, weights)
                count = max(len(lv.kinds), min(room, len(par)))
                if len(par) < count:
                    par = np.concatenate([par, rng.choice(elig, count - len(par))])
                par = par[:count]
        local = rng.choice(len(lv.kinds), size=count, p=np.asarray(lv.shares) / sum(lv.shares))
        local[:len(lv.kinds)] = np.arange(len(lv.kinds))
        kind = np.array([code[k] for k in lv.kinds], dtype=np.int64)[local]
        kinds.append(kind)
        parents.append(par)
        above = np.arange(used, used + count, dtype=np.int64)
        above_kind = kind
        used += count
    return names, np.concatenate(kinds), np.concatenate(parents)


def _members(mixes: Sequence[KindMix], local: npt.NDArray[np.int64],
             rng: np.random.Generator) -> npt.NDArray[np.int32]:
    members = np.zeros(len(local), dtype=np.int32)
    for i, mix in enumerate(mixes):
        m = np.flatnonzero(local == i)
        members[m] = np.clip(_counts(mix.members, rng, len(m)), 1, MAX_MEMBERS)
    return members


def _people(r: random.Random, uid: str, mix: KindMix, members: int,
            member_role: str | None) -> tuple[Person, ...]:
    """People of one unit by its kind's role mix (see `KindMix`)."""
    roles: list[list[str]] = [[member_role] if member_role else [] for _ in range(members)]
    for role, count, skip in mix.roles:
        k = members if count is None else min(members, max(0, round(count.draw_one(r))))
        first = max(0, min(skip, members - k))
        for held in roles[first:first + k]:
            held.append(role)
    people = [Person(id=f"{uid}-{i + 1:02d}", roles=tuple(dict.fromkeys(held)))
              for i, held in enumerate(roles) if held]
    n = members
    for role, count in mix.others:
        for _ in range(min(MAX_MEMBERS, max(0, round(count.draw_one(r))))):
            n += 1
            people.append(Person(id=f"{uid}-{n:02d}", roles=(role,)))
    return tuple(people)


def district(n_units: int = 140, seed: int = 0, *, spec: Spec | None = None,
             hierarchy: Hierarchy | None = None, prefix: str = "d") -> Roster:
    """A district roster of `n_units` units with people, from the spec's hierarchy model.

    For the built-in spec (the default): bureau organs, primary-school and kindergarten
    general branches with sub-branches (R21), schools, kindergartens, joint branches without
    a committee (R18) and retired cadres' branches (R24); 3-60 members by kind, a secretary,
    committees, principals and leading cadres (R19, R23), non-party cadres (R20) and
    masses' representatives (R14).

    Args:
        n_units: at least one of each kind at each level of a district.
        seed: the same seed gives the same roster.
        spec: the spec (default builtin:xuhui-edu-2009); `hierarchy` defaults to its model.
    """
    spec, model = _spec_and_model(spec, hierarchy)
    rng = np.random.default_rng(seed)
    names, local, parent = _layout(model.level_range("district"), n_units, rng, "a district")
    mixes = [model.kinds[k] for k in names]
    members = _members(mixes, local, rng)
    r = random.Random(int(rng.integers(2**63)))
    count: dict[int, int] = {}
    ids: list[str] = []
    titles: list[str] = []
    for c in local.tolist():
        count[c] = count.get(c, 0) + 1
        mix, k = mixes[c], names[c]
        ids.append(f"{prefix}-{mix.code or k}-{count[c]:03d}")
        titles.append(mix.title.format(n=count[c]) if mix.title
                      else f"{spec.unit_kinds[k].title.get('zh')} {count[c]}")
    units = [Unit(id=ids[i], kind=names[c], parent=ids[p] if p >= 0 else None,
                  people=_people(r, ids[i], mixes[c], int(members[i]), model.member_role),
                  title=Text({"zh": titles[i]}))
             for i, (c, p) in enumerate(zip(local.tolist(), parent.tolist(), strict=True))]
    return Roster(units=tuple(units), source=f"<district n={n_units} seed={seed}>")


def national(n_units: int = 3_700_000, seed: int = 0, *, spec: Spec | None = None,
             hierarchy: Hierarchy | None = None,
             kind_names: Sequence[str] | None = None) -> UnitArrays:
    """A national-scale set of units as arrays (no people): kinds, parents, member counts.

    Every level of the hierarchy model (for the built-in spec: province, city, county,
    district, grassroots). `kind_names` orders the kind codes (default: the spec's kinds).
    """
    spec, model = _spec_and_model(spec, hierarchy)
    rng = np.random.default_rng(seed)
    names, local, parent = _layout(model.levels, n_units, rng, "a nation")
    members = _members([model.kinds[k] for k in names], local, rng)
    order = tuple(kind_names or spec.unit_kinds)
    to_code = np.array([order.index(k) for k in names], dtype=np.int8)
    return UnitArrays(kind_names=order, kind=to_code[local], parent=parent, members=members)
