"""Design formulas to model matrices, named the way DESeq2 names their columns.

A formula such as ``"~ batch + condition"`` or ``"~ genotype + treatment +
genotype:treatment"`` (``a*b`` expands to ``a + b + a:b``) becomes R's
treatment-coded model matrix: an ``Intercept`` column, one column per
non-reference level of each factor, named ``condition_resistant_vs_parental``
as DESeq2 renames them, numeric variables as they are, and interaction
columns named ``genotypeKO.treatmentdrug`` as R's ``make.names`` writes them.

Factors are text (or categorical, or boolean) columns of the sample table;
their reference level is the first category of a categorical column, else
the alphabetically first level, unless ``reference`` says otherwise.
Numeric columns are continuous covariates.

>>> import pandas as pd
>>> samples = pd.DataFrame({"condition": ["parental"] * 2 + ["resistant"] * 2,
...                         "batch": ["b1", "b2", "b1", "b2"]})
>>> d = design_matrix(samples, "~ batch + condition")
>>> d.columns
('Intercept', 'batch_b2_vs_b1', 'condition_resistant_vs_parental')
>>> d.contrast_vector(("condition", "parental", "resistant")).tolist()
[0.0, 0.0, -1.0]
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from resistlab.errors import InputError

__all__ = ["Design", "DesignWarning", "design_matrix", "make_name"]


class DesignWarning(UserWarning):
    """A design that can be fitted but probably does not mean what was intended."""


def make_name(text: str) -> str:
    """R's ``make.names`` for one string: invalid characters become dots.

    >>> make_name("single-read")
    'single.read'
    >>> make_name("2h")
    'X2h'
    """
    name = re.sub(r"[^0-9A-Za-z._]", ".", text)
    if not name or name[0].isdigit() or (name[0] == "." and len(name) > 1 and name[1].isdigit()):
        name = "X" + name
    return name


@dataclass(frozen=True, eq=False)
class Design:
    """A model matrix with the names and levels that produced it.

    Attributes
    ----------
    formula : str
        The formula as given.
    matrix : ndarray of shape (n_samples, n_coefficients)
        Treatment-coded model matrix (float).
    columns : tuple of str
        DESeq2's coefficient names (``resultsNames``).
    samples : tuple of str
        Sample names, in row order.
    factors : dict of str to tuple of str
        Levels of each factor in the design, reference level first.
    terms : tuple of str
        Expanded terms (``"batch"``, ``"genotype:treatment"``).
    """

    formula: str
    matrix: np.ndarray
    columns: tuple[str, ...]
    samples: tuple[str, ...]
    factors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    terms: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """Variables named in the formula, in order (the last one is DESeq2's default)."""
        seen: list[str] = []
        for term in self.terms:
            for var in term.split(":"):
                if var not in seen:
                    seen.append(var)
        return tuple(seen)

    def groups(self) -> np.ndarray:
        """Index of each sample's distinct model-matrix row (its cell in the design)."""
        _, inverse = np.unique(self.matrix, axis=0, return_inverse=True)
        return np.asarray(inverse).ravel()

    def coefficient(self, name: str) -> int:
        """Column index of a coefficient name; a clear error lists the names."""
        try:
            return self.columns.index(name)
        except ValueError:
            msg = (
                f"no coefficient {name!r} in the design {self.formula!r}; have {list(self.columns)}"
            )
            raise InputError(msg) from None

    def contrast_vector(self, contrast: Sequence[str]) -> np.ndarray:
        """Numeric contrast for ``(factor, numerator_level, denominator_level)``.

        Follows DESeq2's ``results(contrast = c(factor, num, den))``: the
        coefficient of ``num`` versus the reference, minus that of ``den``.
        """
        if len(contrast) != 3:
            msg = f"a contrast is (factor, numerator, denominator); got {tuple(contrast)!r}"
            raise InputError(msg)
        factor, num, den = (str(c) for c in contrast)
        if factor not in self.factors:
            known = ", ".join(self.factors) or "none"
            msg = (
                f"contrast factor {factor!r} is not a factor of the design "
                f"{self.formula!r} (factors: {known})"
            )
            raise InputError(msg)
        levels = self.factors[factor]
        for level in (num, den):
            if level not in levels:
                msg = (
                    f"contrast level {level!r} is not a level of {factor!r}; "
                    f"levels are {list(levels)}"
                )
                raise InputError(msg)
        if num == den:
            msg = f"contrast compares {factor!r} level {num!r} with itself"
            raise InputError(msg)
        vector = np.zeros(len(self.columns))
        ref = levels[0]
        for level, sign in ((num, 1.0), (den, -1.0)):
            if level != ref:
                vector[self.coefficient(make_name(f"{factor}_{level}_vs_{ref}"))] = sign
        return vector


def _expand_terms(formula: str) -> tuple[list[str], bool]:
    text = formula.strip()
    if not text.startswith("~"):
        msg = f"a design formula starts with '~', e.g. '~ condition'; got {formula!r}"
        raise InputError(msg)
    body = text[1:].replace(" ", "")
    if not body:
        msg = f"empty design formula {formula!r}"
        raise InputError(msg)
    terms: list[str] = []
    intercept = True
    for raw in body.split("+"):
        if raw in ("", "1"):
            continue
        if raw in ("0", "-1"):
            intercept = False
            continue
        if "-" in raw or "(" in raw or "^" in raw or "/" in raw:
            msg = f"unsupported term {raw!r} in design {formula!r}: use '+', ':' and '*' only"
            raise InputError(msg)
        parts = raw.split("*")
        if len(parts) > 1:
            for k in range(1, len(parts) + 1):
                for combo in _combinations(parts, k):
                    terms.append(":".join(combo))
        else:
            terms.append(raw)
    unique: list[str] = []
    for t in terms:
        if t not in unique:
            unique.append(t)
    if not intercept:
        msg = f"designs without an intercept are not supported ({formula!r}); drop the '0'/'-1'"
        raise InputError(msg)
    unique.sort(key=lambda t: t.count(":"))
    return unique, intercept


def _combinations(items: list[str], k: int) -> list[tuple[str, ...]]:
    from itertools import combinations

    return list(combinations(items, k))


def _is_factor(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _levels(column: pd.Series, reference: str | None, name: str) -> tuple[str, ...]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.astype(str))
        levels = [str(c) for c in column.cat.categories if str(c) in present]
    else:
        levels = sorted(set(column.astype(str)))
    if reference is not None:
        if reference not in levels:
            msg = f"reference level {reference!r} is not a level of {name!r}; levels are {levels}"
            raise InputError(msg)
        levels.remove(reference)
        levels.insert(0, reference)
    return tuple(levels)


def design_matrix(
    samples: pd.DataFrame,
    formula: str,
    *,
    reference: Mapping[str, str] | None = None,
) -> Design:
    """Build the model matrix of ``formula`` over the sample table.

    Parameters
    ----------
    samples : DataFrame
        One row per sample (index = sample names), columns = variables.
    formula : str
        ``"~ condition"``, ``"~ batch + condition"``, ``"~ a + b + a:b"``,
        ``"~ a*b"``, or ``"~ 1"``.
    reference : mapping of str to str, optional
        Reference level per factor (the denominator of its coefficients).

    Raises
    ------
    InputError
        An unknown variable, a missing value, a factor with one level, or a
        matrix that is not full rank (naming the columns that are linear
        combinations of the others).
    """
    terms, _ = _expand_terms(formula)
    reference = dict(reference or {})
    variables: list[str] = []
    for term in terms:
        for var in term.split(":"):
            if var not in variables:
                variables.append(var)
    for var in variables:
        if var not in samples.columns:
            msg = (
                f"design {formula!r} names {var!r}, which is not a column of the sample "
                f"sheet (columns: {list(samples.columns)})"
            )
            raise InputError(msg)
        missing = samples.index[samples[var].isna()].tolist()
        if missing:
            msg = f"sample(s) {missing} have no value for design variable {var!r}"
            raise InputError(msg)
    for var in reference:
        if var not in variables:
            msg = f"reference level given for {var!r}, which is not in the design {formula!r}"
            raise InputError(msg)

    factors: dict[str, tuple[str, ...]] = {}
    blocks: dict[str, tuple[list[str], np.ndarray]] = {}
    for var in variables:
        col = samples[var]
        if _is_factor(col):
            levels = _levels(col, reference.get(var), var)
            if len(levels) < 2:
                msg = (
                    f"design variable {var!r} has a single level {levels[0]!r}; "
                    "it cannot be estimated"
                )
                raise InputError(msg)
            factors[var] = levels
            values = col.astype(str).to_numpy()
            dummies = np.column_stack([(values == lv).astype(float) for lv in levels[1:]])
            blocks[var] = ([make_name(f"{var}{lv}") for lv in levels[1:]], dummies)
        else:
            values = col.to_numpy(dtype=float)
            if np.all(values == np.round(values)) and len(np.unique(values)) <= max(
                2, len(values) // 2
            ):
                warnings.warn(
                    f"design variable {var!r} is numeric with integer values, so it is fitted as a "
                    "continuous covariate (a fold change per unit); make it text to treat it as "
                    "a factor",
                    DesignWarning,
                    stacklevel=2,
                )
            blocks[var] = ([make_name(var)], values[:, None])

    names: list[str] = ["Intercept"]
    cols: list[np.ndarray] = [np.ones(len(samples))]
    for term in terms:
        parts = term.split(":")
        for var in parts:
            if len(parts) > 1 and var not in terms:
                msg = f"interaction {term!r} needs its main effect {var!r} in the design too"
                raise InputError(msg)
        for combo in product(*(range(len(blocks[v][0])) for v in parts)):
            label = ".".join(blocks[v][0][k] for v, k in zip(parts, combo, strict=True))
            column = np.ones(len(samples))
            for v, k in zip(parts, combo, strict=True):
                column = column * blocks[v][1][:, k]
            if len(parts) == 1 and parts[0] in factors:
                level = factors[parts[0]][1 + combo[0]]
                label = make_name(f"{parts[0]}_{level}_vs_{factors[parts[0]][0]}")
            names.append(label)
            cols.append(column)
    matrix = np.column_stack(cols)
    _check_full_rank(matrix, names, formula)
    return Design(
        formula=formula,
        matrix=matrix,
        columns=tuple(names),
        samples=tuple(str(s) for s in samples.index),
        factors=factors,
        terms=tuple(terms),
    )


def _check_full_rank(matrix: np.ndarray, names: list[str], formula: str) -> None:
    zero = [n for n, col in zip(names, matrix.T, strict=True) if not np.any(col)]
    if zero:
        msg = (
            f"the design {formula!r} is not full rank: column(s) {zero} are all zero "
            "(a combination of levels without any sample)"
        )
        raise InputError(msg)
    rank = np.linalg.matrix_rank(matrix)
    if rank == matrix.shape[1]:
        return
    dependent: list[str] = []
    kept: list[int] = []
    for j in range(matrix.shape[1]):
        trial = [*kept, j]
        if np.linalg.matrix_rank(matrix[:, trial]) == len(trial):
            kept.append(j)
        else:
            dependent.append(names[j])
    msg = (
        f"the design {formula!r} is not full rank: {dependent} is a linear combination of "
        "the other columns (e.g. a batch that coincides with the condition); remove or "
        "recode that variable"
    )
    raise InputError(msg)
