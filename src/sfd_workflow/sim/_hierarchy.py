"""The hierarchy model: which units a simulated district or nation has, and who is in them.

A hierarchy model (``format: sfd-workflow-hierarchy/1``, YAML or JSON) is written for one
spec; docs/simulation.md is its reference. It lists *levels* from the top down (e.g.
province, city, county, grassroots): the unit kinds at each level and their shares, how
many children a unit of the level above has (``per_parent``) and which kinds of the level
above take children (``parents``); and per unit kind, the members (a distribution) and the
*role mix*: how many members hold each role and how many people outside the membership
(masses' representatives, non-party cadres) the unit has. A district is the units from the
level ``district`` names down; a nation is every level.

A spec without a packaged model gets one derived from it (`derived_hierarchy`): its unit
kinds in equal shares, the roles its guards ask for, and a level of parents above the
other units where a ``children`` guard exists (R21). A kind of the spec that a model does
not name gets the derived role mix and a share of ``unlisted_share`` (default 0.02) at the
district's first level, the other kinds of that level making room proportionally.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from sfd_workflow._spec._model import Spec
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._errors import SimModelError, SimulationError
from sfd_workflow.sim._modelio import ModelReader, builtin_model, known, mapping, read_model_file

__all__ = [
    "HIERARCHY_FORMAT",
    "Hierarchy",
    "KindMix",
    "Level",
    "default_hierarchy",
    "derived_hierarchy",
    "hierarchy_from_document",
    "load_hierarchy",
]

HIERARCHY_FORMAT = "sfd-workflow-hierarchy/1"
_UNLISTED_SHARE = 0.02
_DERIVED_PER_PARENT = Dist("triangular", (2.0, 4.0, 8.0))
_ALL: Dist | None = None  # a role count meaning every member


@attrs.frozen(kw_only=True)
class KindMix:
    """People of a unit of one kind.

    Attributes:
        members: how many members (rounded, at least 1); each holds the model's member role.
        roles: (role, count, skip): the role goes to `count` members after the first `skip`
            (``count`` None: every member); overlapping ranges give people several roles.
        others: (role, count): people outside the membership holding one role each.
        code: the short name in generated unit ids; ``title``: a unit title with ``{n}``.
    """

    members: Dist
    roles: tuple[tuple[str, Dist | None, int], ...] = ()
    others: tuple[tuple[str, Dist], ...] = ()
    code: str = ""
    title: str = ""


@attrs.frozen(kw_only=True)
class Level:
    """One level of the hierarchy: its kinds and shares, and how it hangs under the one above.

    ``per_parent`` (None at the top): children of each unit of the level above whose kind is
    in ``parents`` (every kind of that level when empty).
    """

    id: str
    kinds: tuple[str, ...]
    shares: tuple[float, ...]
    per_parent: Dist | None = None
    parents: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Hierarchy:
    """A checked hierarchy model for one spec (see the module docstring)."""

    spec_id: str
    levels: tuple[Level, ...]
    district: int  # index of the first level of a district
    kinds: Mapping[str, KindMix]
    member_role: str | None = None
    source: str = "<hierarchy>"

    def level_range(self, scope: str) -> tuple[Level, ...]:
        """The levels of a ``"district"`` or of the ``"nation"``."""
        return self.levels[self.district:] if scope == "district" else self.levels


def _parent_kinds(spec: Spec) -> tuple[dict[str, str], list[str]]:
    """Kinds that fire a transition with a `children` guard, and those guards' events."""
    events = []
    kinds: dict[str, str] = {}
    for step, t in spec.transitions():
        if t.guard.children:
            events.append(t.event)
            for k, uk in spec.unit_kinds.items():
                if step.id not in uk.skip:
                    kinds.setdefault(k, t.event)
    return kinds, events


def _derived_mix(spec: Spec, kind: str, member_role: str | None) -> KindMix:
    """The roles the guards of the steps `kind` runs ask for: quorum and per-person roles
    for every member, each other role for one member (a different one where possible)."""
    skip = set(spec.unit_kinds[kind].skip)
    collective: dict[str, None] = {}
    single: dict[str, None] = {}
    need = 3
    for step, t in spec.transitions():
        if step.id in skip:
            continue
        g = t.guard
        if g.quorum is not None:
            collective[g.quorum.role] = None
            if isinstance(g.quorum.at_least, int):
                need = max(need, g.quorum.at_least)
        if g.per_person is not None:
            collective[g.per_person.role] = None
        for role in g.role:
            single[role] = None
    roles: list[tuple[str, Dist | None, int]] = [
        (r, _ALL, 0) for r in collective if r != member_role]
    one = Dist("fixed", (1.0,))
    roles += [(r, one, i) for i, r in enumerate(r for r in single
                                                 if r not in collective and r != member_role)]
    if not roles and member_role is None:
        roles = [(r, _ALL, 0) for r in list(spec.roles)[:1]]
    return KindMix(members=Dist("triangular", (float(need), need + 5.0, need + 17.0)),
                   roles=tuple(roles), code=kind)


def derived_hierarchy(spec: Spec) -> Hierarchy:
    """The hierarchy derived from `spec` (see the module docstring).

    Raises:
        SimulationError: a ``children`` guard no unit kind can fire (every kind skips its
            step), so no kind can be given children.
    """
    member_role = "member" if "member" in spec.roles else None
    parents, events = _parent_kinds(spec)
    if events and not parents:
        msg = (f"spec {spec.id!r}: the children guard of {events[0]!r} has no parent kind to "
               f"give children to (every unit kind skips its step)")
        raise SimulationError(msg)
    kinds = tuple(spec.unit_kinds)
    even = tuple(1 / len(kinds) for _ in kinds)
    units = Level(id="units", kinds=kinds, shares=even)
    levels: tuple[Level, ...] = (units,)
    if parents:
        top = tuple(parents)
        levels = (Level(id="parents", kinds=top, shares=tuple(1 / len(top) for _ in top)),
                  attrs.evolve(units, per_parent=_DERIVED_PER_PARENT, parents=top))
    return Hierarchy(spec_id=spec.id, levels=levels, district=0, member_role=member_role,
                     kinds={k: _derived_mix(spec, k, member_role) for k in kinds},
                     source=f"<hierarchy derived from {spec.id}>")


# -- the model file -------------------------------------------------------------------


def _shares(r: ModelReader, doc: Any, path: str, spec: Spec) -> dict[str, float]:
    out: dict[str, float] = {}
    if not isinstance(doc, Mapping) or not doc:
        r.fail(path, "a level needs kinds: a mapping of unit kind to share")
        return out
    before = len(r.problems)
    for kind, share in doc.items():
        sub = f"{path}.{kind}"
        if known(r, kind, sub, spec.unit_kinds, "unit kind"):
            out[kind] = r.number(share, sub, hi=1.0)
    total = sum(out.values())
    if len(r.problems) == before and abs(total - 1.0) > 1e-6:
        r.fail(path, f"the shares sum to {total:g}, not 1")
    return out


def _levels(r: ModelReader, doc: Any, spec: Spec) -> list[Level]:
    if not isinstance(doc, list) or not doc:
        r.fail("levels", "expected a list of levels, top first")
        return []
    levels: list[Level] = []
    for i, ldoc in enumerate(doc):
        path = f"levels[{i}]"
        if not r.keys(ldoc, path, ("id", "kinds", "per_parent", "parents")):
            continue
        lid = str(ldoc.get("id", f"level{i}"))
        if any(lv.id == lid for lv in levels):
            r.fail(f"{path}.id", f"level {lid!r} is defined twice")
        shares = _shares(r, ldoc.get("kinds"), f"{path}.kinds", spec)
        per_parent = None
        parents: tuple[str, ...] = ()
        if i > 0:
            if "per_parent" not in ldoc:
                r.fail(path, "a level below the top needs per_parent: children per parent unit")
            else:
                per_parent = r.dist(ldoc["per_parent"], f"{path}.per_parent")
            above = levels[-1].kinds if levels else ()
            raw = ldoc.get("parents", [])
            parents = tuple(raw) if isinstance(raw, list) else (raw,)
            for j, p in enumerate(parents):
                if p not in above:
                    r.fail(f"{path}.parents[{j}]" if isinstance(raw, list) else f"{path}.parents",
                           f"{p!r} is not a kind of the level above "
                           f"(known: {', '.join(above) or 'none'})")
        elif "per_parent" in ldoc or "parents" in ldoc:
            r.fail(path, "the top level has no parents: per_parent and parents go below it")
        levels.append(Level(id=lid, kinds=tuple(shares), shares=tuple(shares.values()),
                            per_parent=per_parent, parents=parents))
    return levels


def _mix(r: ModelReader, doc: Any, path: str, spec: Spec) -> KindMix | None:
    if not r.keys(doc, path, ("members", "roles", "others", "code", "title")):
        return None
    if "members" not in doc:
        r.fail(path, "needs members: a distribution of members per unit")
        return None
    members = r.dist(doc["members"], f"{path}.members")
    roles: list[tuple[str, Dist | None, int]] = []
    for role, rdoc in mapping(r, doc.get("roles"), f"{path}.roles").items():
        sub = f"{path}.roles.{role}"
        if not known(r, role, sub, spec.roles, "role"):
            continue
        if rdoc == "all":
            roles.append((role, None, 0))
        elif isinstance(rdoc, Mapping) and "count" in rdoc:
            if r.keys(rdoc, sub, ("count", "skip")):
                count = None if rdoc["count"] == "all" else r.dist(rdoc["count"], f"{sub}.count")
                skip = r.number(rdoc.get("skip", 0), f"{sub}.skip", hi=1000)
                roles.append((role, count, int(skip)))
        elif (count := r.dist(rdoc, sub)) is not None:
            roles.append((role, count, 0))
    others: list[tuple[str, Dist]] = []
    for role, odoc in mapping(r, doc.get("others"), f"{path}.others").items():
        sub = f"{path}.others.{role}"
        if known(r, role, sub, spec.roles, "role") and (d := r.dist(odoc, sub)) is not None:
            others.append((role, d))
    if members is None:
        return None
    return KindMix(members=members, roles=tuple(roles), others=tuple(others),
                   code=str(doc.get("code", "")), title=str(doc.get("title", "")))


def _check_children(r: ModelReader, spec: Spec, levels: list[Level]) -> None:
    parents, _ = _parent_kinds(spec)
    if not parents:
        return
    given = {p for lv in levels[1:] for p in (lv.parents or ())}
    given |= {k for above, lv in itertools.pairwise(levels) if not lv.parents
              for k in above.kinds}
    if not given & set(parents):
        kind, event = next(iter(parents.items()))
        r.fail("levels", f"the spec's children guard of {event!r} has no parent kind to give: "
                         f"no level gives children to {', '.join(parents)} (e.g. {kind!r})")


def hierarchy_from_document(doc: Any, spec: Spec, source: str = "<hierarchy>",
                            lines: Mapping[str, int] | None = None) -> Hierarchy:
    """Check a parsed hierarchy document against `spec` and build a `Hierarchy`.

    Raises:
        SimModelError: listing every problem, each with its path (and line when known).
    """
    r = ModelReader(source, lines or {})
    top = ("format", "spec", "title", "district", "member_role", "unlisted_share", "levels",
           "kinds")
    if not r.keys(doc, "", top):
        raise SimModelError(r.problems)
    if doc.get("format") != HIERARCHY_FORMAT:
        r.fail("format", f"expected format: {HIERARCHY_FORMAT}, got {doc.get('format')!r}")
    if doc.get("spec", spec.id) != spec.id:
        r.fail("spec", f"this model is for spec {doc.get('spec')!r}, not {spec.id!r}")
    member_role = doc.get("member_role", "member" if "member" in spec.roles else None)
    if member_role is not None:
        known(r, member_role, "member_role", spec.roles, "role")
    levels = _levels(r, doc.get("levels"), spec)
    ids = [lv.id for lv in levels]
    district = doc.get("district", ids[0] if ids else None)
    if district not in ids:
        r.fail("district", f"unknown level {district!r} (known: {', '.join(ids)})")
    mixes: dict[str, KindMix] = {}
    for kind, kdoc in mapping(r, doc.get("kinds"), "kinds").items():
        if known(r, kind, f"kinds.{kind}", spec.unit_kinds, "unit kind"):
            mix = _mix(r, kdoc, f"kinds.{kind}", spec)
            if mix is not None:
                mixes[kind] = mix
    placed = {k for lv in levels for k in lv.kinds}
    for kind in placed - set(mixes):
        r.fail("kinds", f"unit kind {kind!r} is placed in a level but has no entry here")
    unlisted = r.number(doc.get("unlisted_share", _UNLISTED_SHARE), "unlisted_share", hi=0.5)
    _check_children(r, spec, levels)
    if r.problems:
        raise SimModelError(r.problems)
    d = ids.index(district)
    missing = [k for k in spec.unit_kinds if k not in placed]
    if missing:
        lv = levels[d]
        unlisted = min(unlisted, 0.5 / len(missing))
        keep = 1.0 - unlisted * len(missing)
        levels[d] = attrs.evolve(lv, kinds=(*lv.kinds, *missing),
                                 shares=(*(s * keep for s in lv.shares),
                                         *(unlisted for _ in missing)))
        derived = derived_hierarchy(spec)
        mixes.update({k: derived.kinds[k] for k in missing})
    return Hierarchy(spec_id=spec.id, levels=tuple(levels), district=d, kinds=mixes,
                     member_role=member_role, source=source)


def load_hierarchy(path: str | Path, spec: Spec) -> Hierarchy:
    """Load a hierarchy model file for `spec`; ``"builtin:<spec id>"`` loads the packaged one.

    Raises:
        SimModelError: the file cannot be read or breaks the hierarchy format.
    """
    doc, source, lines = read_model_file(path, "hierarchy")
    return hierarchy_from_document(doc, spec, source, lines)


def default_hierarchy(spec: Spec) -> Hierarchy:
    """The packaged hierarchy of a built-in spec, else the one derived from the spec."""
    if builtin_model(spec.id, "hierarchy").is_file():
        return load_hierarchy(f"builtin:{spec.id}", spec)
    return derived_hierarchy(spec)
