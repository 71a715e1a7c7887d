"""Distributions of non-negative quantities (working days, hours, counts) in model files."""

from __future__ import annotations

import math
import random
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["Dist"]

_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@attrs.frozen
class Dist:
    """A distribution of a non-negative quantity (working days, hours, counts)."""

    kind: str  # fixed | triangular | uniform | lognormal
    params: tuple[float, ...]

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        """`size` independent draws."""
        p = self.params
        if self.kind == "fixed":
            return np.full(size, p[0], dtype=np.float64)
        if self.kind == "triangular":
            if p[0] == p[2]:
                return np.full(size, p[0], dtype=np.float64)
            return rng.triangular(p[0], p[1], p[2], size)
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], size)
        mu, sigma = math.log(p[0]), (math.log(p[1]) - math.log(p[0])) / _Z90
        return rng.lognormal(mu, sigma, size)

    def draw_one(self, r: random.Random) -> float:
        """One draw from a stdlib generator (fast for the exact engine's single values)."""
        p = self.params
        if self.kind == "fixed":
            return p[0]
        if self.kind == "triangular":
            return r.triangular(p[0], p[2], p[1])
        if self.kind == "uniform":
            return r.uniform(p[0], p[1])
        return r.lognormvariate(math.log(p[0]), (math.log(p[1]) - math.log(p[0])) / _Z90)

    def mean(self) -> float:
        """The expected value."""
        p = self.params
        if self.kind == "fixed":
            return p[0]
        if self.kind == "triangular":
            return sum(p) / 3
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2
        sigma = (math.log(p[1]) - math.log(p[0])) / _Z90
        return p[0] * math.exp(sigma * sigma / 2)

    def median(self) -> float:
        """The median (for documentation and sanity checks)."""
        p = self.params
        if self.kind in ("fixed", "lognormal"):
            return p[0]
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2
        a, c, b = p
        if b == a:
            return a
        if c >= (a + b) / 2:
            return a + math.sqrt((b - a) * (c - a) / 2)
        return b - math.sqrt((b - a) * (b - c) / 2)

    def to_document(self) -> Any:
        """The distribution as written in a model."""
        if self.kind == "fixed":
            return self.params[0]
        if self.kind == "lognormal":
            return {"lognormal": {"median": self.params[0], "p90": self.params[1]}}
        return {self.kind: list(self.params)}

    def scaled(self, factor: float) -> Dist:
        """The same shape with every value multiplied by `factor`."""
        return Dist(self.kind, tuple(v * factor for v in self.params))
