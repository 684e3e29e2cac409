"""Checks for chapter 01 (energy)."""

from __future__ import annotations

import numpy as np

from .. import hopfield
from ._core import CheckResult, expect, expect_match, random_spins, rng_for, run_cases


def _symmetric(rng: np.random.Generator, n: int, zero_diag: bool = True) -> np.ndarray:
    a = rng.normal(size=(n, n))
    w = (a + a.T) / 2
    if zero_diag:
        np.fill_diagonal(w, 0.0)
    return w


def _energy_mistakes(W, s, b=None) -> list[tuple[np.ndarray, str]]:
    """What typical wrong energies return on these inputs, each with the message that names it."""
    quad = hopfield.energy(W, s)                     # -1/2 s^T W s
    lin = hopfield.energy(W, s, b) - quad            # -b^T s (0 without a bias)
    out = [(2 * quad + lin, "the quadratic term is twice too large: the double sum over i, j counts each "
                            "pair twice, which the factor 1/2 in front of s^T W s corrects"),
           (-quad + lin, "the quadratic term has the wrong sign: aligned states (s_i s_j W_ij > 0) must "
                         "have LOW energy"),
           (2 * (quad + lin), "your energy is exactly twice the right one: the 1/2 belongs in front of "
                              "s^T W s, and only there"),
           (-2 * quad + lin, "the quadratic term has the wrong sign and lacks the factor 1/2")]
    if b is not None:
        out += [(quad, "the bias is ignored: with b given, the energy has a term -b^T s"),
                (quad - lin, "the bias term has the wrong sign: a unit aligned with its bias (b_i s_i > 0) "
                             "lowers the energy"),
                (2 * quad, "the bias is ignored, and the quadratic term is twice too large (factor 1/2)")]
    off_diag = W - np.diag(np.diag(W))
    if np.any(np.diag(W) != 0):
        out.append((hopfield.energy(off_diag, s, b),
                    "the diagonal terms W_ii s_i^2 are missing: keep every term of the double sum"))
    return out


def energy(fn) -> CheckResult:
    """The learner's ``energy(W, states, b)`` for one state or a batch."""
    rng = rng_for("energy")

    def single():
        W, s = _symmetric(rng, 7), random_spins(rng, 7)
        got = fn(W, s)
        expect(np.ndim(got) == 0, f"one state (N,) should give one number, got shape {np.shape(got)}")
        expect_match(got, hopfield.energy(W, s), "wrong energy of a single state: E(s) = -1/2 s^T W s",
                     _energy_mistakes(W, s))

    def batch():
        W, S = _symmetric(rng, 9), random_spins(rng, 5, 9)
        got = np.asarray(fn(W, S))
        expect(got.shape == (5,), f"a batch (B, N) = {S.shape} should give B = 5 energies, got shape {got.shape}"
               " (sum over the units of each state, not over the batch)")
        one_by_one = np.array([float(fn(W, s)) for s in S])
        expect(np.allclose(got, one_by_one), "the batch energies differ from the energies of the same states "
               "passed one at a time: row n of the result must depend on state n only (a matrix product "
               "S @ W @ S.T mixes different states)")
        expect_match(got, hopfield.energy(W, S), "batch energies are wrong: use one row per state",
                     _energy_mistakes(W, S))

    def with_bias():
        W, s, b = _symmetric(rng, 6), random_spins(rng, 3, 6), rng.normal(size=6)
        expect_match(fn(W, s, b), hopfield.energy(W, s, b), "wrong energy with a bias: the bias term is -b^T s",
                     _energy_mistakes(W, s, b))

    def no_bias_default():
        W, s = _symmetric(rng, 4), random_spins(rng, 4)
        expect_match(fn(W, s, None), hopfield.energy(W, s), "b=None should mean no bias term",
                     _energy_mistakes(W, s))

    def nonzero_diagonal():
        W, s = _symmetric(rng, 5, zero_diag=False), random_spins(rng, 5)
        expect_match(fn(W, s), hopfield.energy(W, s),
                     "wrong when W has a non-zero diagonal: keep every term of the double sum",
                     _energy_mistakes(W, s))

    return run_cases("energy", fn, [("single state", single), ("batch of states", batch),
                                    ("with bias", with_bias), ("b=None", no_bias_default),
                                    ("non-zero diagonal", nonzero_diagonal)],
                     library_twin=hopfield.energy)


def local_field(fn) -> CheckResult:
    """The learner's ``local_field(W, states, b)``."""
    rng = rng_for("local_field")

    def mistakes(W, s, b=None):
        out = [(hopfield.local_field(W.T, s, b), "you used column i of W (s @ W for one state, or W^T s): "
                                                 "h_i = sum_j W_ij s_j uses row i")]
        if b is not None:
            out += [(hopfield.local_field(W, s), "the bias is missing: h = W s + b"),
                    (hopfield.local_field(W, s) - b, "the bias enters with the wrong sign: h = W s + b")]
        return out

    def single():
        W, s = _symmetric(rng, 8), random_spins(rng, 8)
        expect_match(fn(W, s), hopfield.local_field(W, s), "wrong field: h_i = sum_j W_ij s_j", mistakes(W, s))

    def batch():
        W, S = _symmetric(rng, 6), random_spins(rng, 4, 6)
        got = np.asarray(fn(W, S))
        expect(got.shape == S.shape, f"a batch {S.shape} should give fields of the same shape, got {got.shape}")
        expect_match(got, hopfield.local_field(W, S), "batch fields are wrong: each row is W s for one state",
                     mistakes(W, S))

    def asymmetric():
        W, s = rng.normal(size=(5, 5)), random_spins(rng, 5)
        expect_match(fn(W, s), hopfield.local_field(W, s),
                     "wrong for a non-symmetric W: h_i sums W_ij s_j over j (row i of W)", mistakes(W, s))

    def with_bias():
        W, s, b = _symmetric(rng, 5), random_spins(rng, 2, 5), rng.normal(size=5)
        expect_match(fn(W, s, b), hopfield.local_field(W, s, b), "with a bias, h = W s + b", mistakes(W, s, b))

    return run_cases("local_field", fn, [("single state", single), ("batch", batch),
                                         ("non-symmetric W", asymmetric), ("with bias", with_bias)],
                     library_twin=hopfield.local_field)


def flip_energy_change(fn) -> CheckResult:
    """The learner's ``flip_energy_change(W, s, i, b)``, against the full energy difference."""
    rng = rng_for("flip_energy_change")

    def full_difference(W, s, i, b=None):
        t = s.copy()
        t[..., i] *= -1
        return hopfield.energy(W, t, b) - hopfield.energy(W, s, b)

    def mistakes(W, s, i, b=None):
        want = full_difference(W, s, i, b)
        h = hopfield.local_field(W, s, b)[..., i]
        out = [(-want, "the sign is reversed: return E(after the flip) - E(before)"),
               (want / 2, "half the right change: flipping s_i changes s_i by 2, so every term that contains "
                          "s_i changes by twice its value")]
        if W[i, i] != 0:
            out.append((2 * s[..., i] * h, "the self-coupling W_ii is counted: the term W_ii s_i^2 does not change "
                                           "when s_i flips, so leave it out of the field you use"))
        if b is not None:
            out.append((full_difference(W, s, i), "the bias is ignored: its term -b_i s_i flips with s_i too"))
        return out

    def every_unit():
        W, s = _symmetric(rng, 10), random_spins(rng, 10)
        for i in range(10):
            got = fn(W, s, i)
            expect(np.ndim(got) == 0, f"one state and one unit should give one number, got shape {np.shape(got)}")
            expect_match(got, full_difference(W, s, i),
                         f"wrong change for unit {i}: compare with E(flipped) - E(s); "
                         "only the terms that contain s_i change", mistakes(W, s, i))

    def with_bias():
        W, s, b = _symmetric(rng, 6), random_spins(rng, 6), rng.normal(size=6)
        expect_match(fn(W, s, 2, b), full_difference(W, s, 2, b),
                     "wrong with a bias: the bias contributes -b_i s_i, which also flips", mistakes(W, s, 2, b))

    def self_coupling():
        W, s = _symmetric(rng, 6, zero_diag=False), random_spins(rng, 6)
        expect_match(fn(W, s, 4), full_difference(W, s, 4),
                     "wrong when W_ii != 0: only the terms that contain s_i once change", mistakes(W, s, 4))

    def batch():
        W, S = _symmetric(rng, 7), random_spins(rng, 5, 7)
        got = np.asarray(fn(W, S, 3))
        expect(got.shape == (5,), f"a batch of 5 states should give 5 changes, got shape {got.shape}")
        expect_match(got, full_difference(W, S, 3), "batch changes are wrong: one change per row",
                     mistakes(W, S, 3))

    def unchanged_input():
        W, s = _symmetric(rng, 5), random_spins(rng, 5)
        before = s.copy()
        fn(W, s, 1)
        expect(np.array_equal(s, before), "your function changed the state passed in: work on a copy")

    return run_cases("flip_energy_change", fn,
                     [("every unit", every_unit), ("with bias", with_bias), ("self-coupling", self_coupling),
                      ("batch", batch), ("input untouched", unchanged_input)],
                     library_twin=hopfield.flip_energy_change)


# --------------------------------------------------------------------------- exercises that predict and construct

def _state_with_overlap(rng: np.random.Generator, x: np.ndarray, m: float) -> np.ndarray:
    """A copy of ``x`` with (1 - m) N / 2 units flipped: overlap exactly m with x."""
    n = x.size
    k = int(round((1 - m) * n / 2))
    s = x.copy()
    s[rng.permutation(n)[:k]] *= -1
    return s


def energy_from_overlap(fn) -> CheckResult:
    """The learner's prediction ``energy_from_overlap(m, N)``: E of any state at overlap m with the one stored
    pattern (Hebb, zero diagonal), checked against energies measured on real states."""
    rng = rng_for("energy_from_overlap")

    def measure(n, m):
        x = random_spins(rng, n)
        s = _state_with_overlap(rng, x, m)
        return float(hopfield.energy(hopfield.hebbian_weights(x[None]), s))

    def mistakes(m, n):
        m = np.asarray(m, dtype=float)
        return [(-n * m**2 / 2, "every prediction is off by exactly 1/2: the diagonal of W is zero, so the N "
                                "terms with i = j, each x_i^2 s_i^2 / N = 1/N, are not in the double sum"),
                (-m**2 / 2 + 1 / (2 * n), "that is the energy per unit: return the energy of the whole state"),
                (-m**2 / 2, "that is the energy per unit of a large network: return the energy of the whole state "
                            "of N units"),
                ((n * m**2 - 1) / 2, "the sign is reversed: the stored pattern (m = 1) must be the lowest energy"),
                (-(n * m - 1) / 2, "the energy is quadratic in the overlap: s^T W s contains (x . s)^2")]

    def predictions():
        n = 60
        for m in (1.0, 0.5, 0.0, -1.0 / 3):
            got = fn(m, n)
            expect(np.ndim(got) == 0, f"one overlap should give one number, got shape {np.shape(got)}")
            expect_match(got, measure(n, m), f"your prediction for m = {m:.3g}, N = {n} differs from the energy "
                         "measured on a state with that overlap: write s^T W s with W = (x x^T - I) / N in terms "
                         "of x . s = N m", mistakes(m, n))

    def other_size():
        n, m = 200, 0.3
        expect_match(fn(m, n), measure(n, m), "right for N = 60 only? Keep N in the formula (N = 200, m = 0.3)",
                     mistakes(m, n))

    def many_overlaps():
        n = 40
        ms = np.array([1.0, 0.5, -0.5, -1.0])
        got = np.asarray(fn(ms, n), dtype=float)
        expect(got.shape == ms.shape, f"an array of 4 overlaps should give 4 energies, got shape {got.shape}")
        expect_match(got, [measure(n, m) for m in ms], "wrong for an array of overlaps", mistakes(ms, n))

    return run_cases("energy_from_overlap", fn, [("predictions", predictions), ("another N", other_size),
                                                 ("array of overlaps", many_overlaps)])


def unique_minimum(fn) -> CheckResult:
    """The learner's construction ``unique_minimum(target) -> (W, b)``: target is the one state of lowest energy."""
    from ..boltzmann import all_states

    rng = rng_for("unique_minimum")

    def verify(target):
        out = fn(target.copy())
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W, b)")
        W, b = (np.asarray(a, dtype=float) for a in out)
        n = target.size
        expect(W.shape == (n, n) and b.shape == (n,), f"for N = {n} units W must be ({n}, {n}) and b ({n},), got "
               f"{W.shape} and {b.shape}")
        expect(np.all(np.isfinite(W)) and np.all(np.isfinite(b)), "W and b must be finite numbers")
        expect(np.allclose(W, W.T), "W must be symmetric: a Hopfield network's couplings are W_ij = W_ji")
        expect(np.all(np.abs(b) <= 0.1 + 1e-12), f"the bias may be at most 0.1 in size per unit, yours reaches "
               f"{np.max(np.abs(b)):.3g}: the couplings must do the main work")
        flips = np.where(np.eye(n, dtype=bool), -target, target)
        cost = hopfield.energy(W, flips, b) - hopfield.energy(W, target, b)
        expect(np.all(cost >= 1 - 1e-9), f"flipping unit {int(np.argmin(cost))} of the target changes the energy by "
               f"only {cost.min():.3g}: every single flip must cost at least 1, so that the target sits at the "
               "bottom of a basin carved by the couplings")
        S = all_states(n)
        E = hopfield.energy(W, S, b)
        order = np.argsort(E)
        best = S[order[0]]
        lowest = E[order[0]]
        expect(np.array_equal(best, target) or np.isclose(E[order[1]], lowest),
               f"the lowest-energy state is not the target: {int(np.sum(best != target))} of its {n} units differ")
        mirror = hopfield.energy(W, -target, b)
        expect(not np.isclose(mirror, hopfield.energy(W, target, b)),
               "the target ties with its mirror image -target: with b = 0 every state has the same energy as its "
               "mirror (E(-s) = E(s)), so the couplings alone cannot pick one of the two")
        expect(E[order[1]] - lowest > 1e-6, "another state ties with the target for the lowest energy: the minimum "
               "must be unique")

    def small():
        verify(np.array([1.0, -1.0, -1.0, 1.0, 1.0]))

    def random_targets():
        for n in (6, 9):
            verify(random_spins(rng, n))

    def all_minus():
        verify(-np.ones(7))

    return run_cases("unique_minimum", fn, [("a 5-unit target", small), ("random targets", random_targets),
                                            ("all units -1", all_minus)],
                     allowed=("hebbian_weights",))
