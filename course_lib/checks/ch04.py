"""Checks for chapter 04 (Boltzmann machines)."""

from __future__ import annotations

import numpy as np

from .. import boltzmann
from ._core import CheckResult, expect, expect_close, expect_match, random_spins, rng_for, run_cases


def _symmetric(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    a = rng.normal(scale=scale, size=(n, n))
    w = (a + a.T) / 2
    np.fill_diagonal(w, 0.0)
    return w


def flip_probability(fn) -> CheckResult:
    """The learner's ``flip_probability(h, T)`` = P(s_i = +1 | field h) at temperature T."""
    rng = rng_for("flip_probability")

    def values():
        h, T = rng.normal(scale=2.0, size=20), 1.3
        got = np.asarray(fn(h, T), dtype=float)
        expect(got.shape == h.shape, f"one probability per field: expected shape {h.shape}, got {got.shape}")
        if np.allclose(got, boltzmann.wrong_probability_up(h, T)):
            expect(False, "you used sigma(h/T), the rule for 0/1 units: for +-1 spins the two states of unit i "
                          "differ in energy by 2h, not h (write out P(+1)/P(-1))")
        if np.allclose(got, 1 - boltzmann.probability_up(h, T)):
            expect(False, "this is P(s_i = -1): a positive field should make +1 more likely")
        expect_close(got, boltzmann.probability_up(h, T),
                     "wrong probabilities: P(+1)/P(-1) must equal exp(-(E(+1) - E(-1))/T)")

    def temperature():
        h = rng.normal(size=8)
        for T in (0.25, 4.0):
            expect_close(fn(h, T), boltzmann.probability_up(h, T),
                         f"right at one temperature but wrong at T = {T}: T divides the field")

    def zero_field():
        expect(np.isclose(float(np.asarray(fn(np.array([0.0]), 0.7)).ravel()[0]), 0.5),
               "with no field, +1 and -1 have the same energy: the probability must be 1/2")

    def huge_fields():
        h = np.array([-2000.0, -50.0, 50.0, 2000.0])
        got = np.asarray(fn(h, 0.1), dtype=float)
        expect(np.all(np.isfinite(got)), "NaN or inf for a large |h|/T: avoid exp overflow "
                                         "(e.g. use np.tanh, or np.exp only of non-positive numbers)")
        expect_close(got, [0.0, 0.0, 1.0, 1.0], "a huge field should give probability 0 or 1", atol=1e-12)

    def scalar():
        got = fn(0.4, 1.0)
        expect(np.ndim(got) == 0, f"a single field should give a single probability, got shape {np.shape(got)}")
        expect(np.isclose(float(got), boltzmann.probability_up(0.4, 1.0)), "wrong value for a single field")

    return run_cases("flip_probability", fn,
                     [("values", values), ("temperature", temperature), ("zero field", zero_field),
                                       ("huge fields", huge_fields), ("scalar", scalar)],
              library_twin=boltzmann.probability_up)


def gibbs_sweep(fn) -> CheckResult:
    """The learner's ``gibbs_sweep(W, b, states, T, u)``: one sequential heat-bath sweep, uniforms given."""
    rng = rng_for("gibbs_sweep")

    def parallel(W, b, s, T, u):
        h = s @ W.T + (0 if b is None else b)
        return np.where(u < boltzmann.probability_up(h, T), 1.0, -1.0)

    def compare(got, W, b, S, T, u, message):
        want = boltzmann.gibbs_sweep(W, b, S, T, u)
        expect(np.all((got == 1) | (got == -1)), "every unit must end as +1 or -1")
        mistakes = [(parallel(W, b, S, T, u), "you updated all units at once from the old state: in a sweep, "
                                              "unit i must see the new values of units 0..i-1"),
                    (boltzmann.gibbs_sweep(W, b, S, T, u, boltzmann.wrong_probability_up),
                     "your units follow sigma(h/T), the rule for 0/1 units: for +-1 spins the energy gap of a "
                     "flip is 2h (see exercise 1)"),
                    (boltzmann.gibbs_sweep(W, b, S, T, 1 - u), "you set s_i = +1 when u > P(+1): the unit must be "
                                                               "+1 with probability P(+1), so compare u < P(+1)"),
                    (boltzmann.gibbs_sweep(W, b, S, T, u[..., ::-1]) if S.ndim == 2 else want,
                     "the uniforms are used in the wrong order: unit i uses u[..., i]")]
        if b is not None:
            mistakes.append((boltzmann.gibbs_sweep(W, None, S, T, u), "the bias is ignored: the field is "
                                                                       "h_i = sum_j W_ij s_j + b_i"))
        expect_match(got, want, message, mistakes, rtol=0, atol=0)

    def batch():
        W, b, S, u = _symmetric(rng, 8), rng.normal(size=8), random_spins(rng, 6, 8), rng.random((6, 8))
        got = np.asarray(fn(W, b, S.copy(), 0.8, u), dtype=float)
        expect(got.shape == S.shape, f"a batch {S.shape} should come back with the same shape, got {got.shape}")
        compare(got, W, b, S, 0.8, u, "wrong new states: visit units 0, 1, ..., N-1 in order and set s_i = +1 "
                "exactly when u[..., i] < P(s_i = +1 | current field)")

    def single_state():
        W, s, u = _symmetric(rng, 6), random_spins(rng, 6), rng.random(6)
        got = np.asarray(fn(W, None, s.copy(), 1.5, u), dtype=float)
        expect(got.shape == (6,), f"one state (N,) should give one state back, got shape {got.shape}")
        compare(got, W, None, s, 1.5, u, "wrong for one state without bias (b=None means no bias)")

    def cold():
        W, b, S = _symmetric(rng, 7), rng.normal(size=7), random_spins(rng, 4, 7)
        u = rng.uniform(0.01, 0.99, size=S.shape)
        got = np.asarray(fn(W, b, S.copy(), 1e-6, u), dtype=float)
        expect(got.shape == S.shape, f"a batch {S.shape} should come back with the same shape, got {got.shape}")
        compare(got, W, b, S, 1e-6, u, "wrong near T = 0: each unit should then take the sign of its field "
                "(no NaN from overflow)")

    def untouched():
        W, S, u = _symmetric(rng, 5), random_spins(rng, 3, 5), rng.random((3, 5))
        before = S.copy()
        fn(W, None, S, 1.0, u)
        expect(np.array_equal(S, before), "your function changed the states passed in: work on a copy")

    return run_cases("gibbs_sweep", fn, [("batch", batch), ("single state", single_state), ("near zero T", cold),
                                         ("input untouched", untouched)],
                     library_twin=boltzmann.gibbs_sweep)


def exact_distribution(fn) -> CheckResult:
    """The learner's ``exact_distribution(W, b, T)`` over the rows of ``all_states(N)``."""
    rng = rng_for("exact_distribution")

    def values():
        W, b = _symmetric(rng, 6), rng.normal(size=6)
        got = np.asarray(fn(W, b, 1.2), dtype=float)
        expect(got.shape == (64,), f"N = 6 has 2^6 = 64 states: expected shape (64,), got {got.shape}")
        expect(np.isclose(got.sum(), 1.0), f"probabilities must sum to 1, yours sum to {got.sum():.4g}: divide by Z")
        want = boltzmann.exact_distribution(W, b, 1.2)
        if np.allclose(got, boltzmann.exact_distribution(W, b, 1.2)[::-1]) or \
                np.allclose(np.sort(got), np.sort(want)):
            expect(np.allclose(got, want), "right numbers in the wrong order: entry k must belong to row k of "
                                           "all_states(N)")
        if np.allclose(got, boltzmann.boltzmann_probabilities(-boltzmann.state_energies(W, b), 1.2)):
            expect(False, "the most probable state should have the lowest energy: exp(-E/T), with the minus")
        expect_close(got, want, "wrong probabilities: P(s) = exp(-E(s)/T) / Z with E(s) = -1/2 s^T W s - b^T s")

    def no_bias():
        W = _symmetric(rng, 5)
        expect_close(fn(W, None, 0.6), boltzmann.exact_distribution(W, None, 0.6), "wrong with b=None (no bias)")

    def temperature():
        W, b = _symmetric(rng, 4), rng.normal(size=4)
        for T in (0.3, 5.0):
            expect_close(fn(W, b, T), boltzmann.exact_distribution(W, b, T), f"wrong at T = {T}: divide E by T")

    def cold():
        W, b = 50 * _symmetric(rng, 5), rng.normal(size=5)
        got = np.asarray(fn(W, b, 0.01), dtype=float)
        expect(np.all(np.isfinite(got)), "NaN or inf at low temperature: exp(-E/T) overflows. Subtract the "
                                         "smallest energy first; it cancels between numerator and Z")
        expect_close(got, boltzmann.exact_distribution(W, b, 0.01), "wrong at low temperature", atol=1e-10)

    return run_cases("exact_distribution", fn, [("values and order", values), ("no bias", no_bias),
                                         ("temperature", temperature), ("low temperature", cold)],
              library_twin=boltzmann.exact_distribution, allowed=("all_states",))


def bm_gradient(fn) -> CheckResult:
    """The learner's ``bm_gradient(W, b, data, n_visible)``: the exact log-likelihood gradient."""
    rng = rng_for("bm_gradient")

    def params(n):
        a = rng.normal(scale=0.7, size=(n, n))
        return np.triu(a, 1) + np.triu(a, 1).T, rng.normal(scale=0.3, size=n)

    def compare(W, b, V, nv, hint):
        got = fn(W, b, V, nv)
        expect(isinstance(got, tuple) and len(got) == 2, "return a pair (dW, db)")
        dW, db = (np.asarray(g, dtype=float) for g in got)
        n = W.shape[0]
        expect(dW.shape == (n, n) and db.shape == (n,), f"dW should be ({n}, {n}) and db ({n},), "
                                                        f"got {dW.shape} and {db.shape}")
        want_W, want_b = boltzmann.bm_gradient(W, b, V, nv)
        if np.allclose(dW, -want_W) and np.allclose(db, -want_b):
            expect(False, "your gradient has the wrong sign: it is <.>_data - <.>_model, so that a step "
                          "along it raises the likelihood")
        expect(np.allclose(np.diag(dW), 0), "the diagonal of dW must be 0: W_ii is not a parameter (it only "
                                            "shifts every energy by the same constant)")
        expect_close(db, want_b, f"db is wrong: <s_i> with the visible units clamped minus <s_i> free. {hint}")
        expect_close(dW, want_W, f"dW is wrong: <s_i s_j> clamped minus <s_i s_j> free. {hint}")

    def visible_only():
        W, b = params(4)
        V = random_spins(rng, 6, 4)
        compare(W, b, V, 4, "With no hidden units the clamped averages are plain data averages.")

    def with_hidden():
        W, b = params(5)
        V = random_spins(rng, 5, 3)
        compare(W, b, V, 3, "Hidden units in the positive phase follow P(h | v), which depends on W: "
                            "weight each h by exp(-E(v, h)) / sum_h' exp(-E(v, h')).")

    def repeated_rows():
        W, b = params(5)
        v = random_spins(rng, 2)
        V = np.array([v, v, v, -v])
        distinct = np.array([v, -v])
        got_distinct = fn(W, b, distinct, 2)
        want_distinct = boltzmann.bm_gradient(W, b, distinct, 2)
        expect(isinstance(got_distinct, tuple) and len(got_distinct) == 2, "return a pair (dW, db)")
        right_without_repeats = all(np.allclose(np.asarray(g, dtype=float), w)
                                    for g, w in zip(got_distinct, want_distinct, strict=True))
        compare(W, b, V, 2, "Each data row counts once, repeated rows included (average over rows)."
                if right_without_repeats else
                "(Wrong already on data without repeated rows: see the hidden-unit hint.) Hidden units in the "
                "positive phase follow P(h | v), which depends on W.")

    return run_cases("bm_gradient", fn, [("visible units only", visible_only), ("with hidden units", with_hidden),
                                  ("repeated data rows", repeated_rows)],
              library_twin=boltzmann.bm_gradient, allowed=("all_states",))


# --------------------------------------------------------------------------- use the ideas

def ground_state_temperature(fn) -> CheckResult:
    """The learner's ``ground_state_temperature(W, b, share)``: the temperature T at which the lowest-energy
    state(s) hold probability ``share``, checked by evaluating the exact distribution at the returned T."""
    rng = rng_for("ground_state_temperature")

    def share_at(W, b, T):
        E = boltzmann.state_energies(W, b)
        p = boltzmann.exact_distribution(W, b, T)
        return float(p[np.isclose(E, E.min())].sum())

    def verify(W, b, share, what):
        T = fn(W, b, share)
        expect(np.ndim(T) == 0, f"{what}: return one temperature, got shape {np.shape(T)}")
        T = float(T)
        expect(np.isfinite(T) and T > 0, f"{what}: a temperature must be a positive number, got {T}")
        got = share_at(W, b, T)
        expect(abs(got - share) < 1e-3, f"{what}: at your T = {T:.4g} the ground state holds probability "
               f"{got:.4f}, not {share}. The share falls steadily as T rises (from 1 at T -> 0 towards "
               f"(number of ground states) / 2^N): search T until it matches")

    def frustrated():
        W, b = _symmetric(rng, 6), rng.normal(scale=0.3, size=6)
        verify(W, b, 0.5, "six units, share 1/2")

    def high_share():
        W, b = _symmetric(rng, 5), rng.normal(size=5)
        verify(W, b, 0.95, "five units, share 0.95")

    def two_ground_states():
        W = _symmetric(rng, 7)
        verify(W, None, 0.4, "no bias (two mirror ground states), share 0.4")

    return run_cases("ground_state_temperature", fn, [("share 1/2", frustrated), ("share 0.95", high_share),
                                                      ("two ground states", two_ground_states)],
                     allowed=("all_states",))


def pair_correlation(fn) -> CheckResult:
    """The learner's prediction ``pair_correlation(J, T)``: <s_1 s_2> for two +-1 units coupled by J (no bias) at
    temperature T, checked against the exact distribution of the lecture's ``boltzmann``."""

    def exact(J, T):
        W = np.array([[0.0, J], [J, 0.0]])
        S = boltzmann.all_states(2)
        return float(boltzmann.exact_distribution(W, None, T) @ (S[:, 0] * S[:, 1]))

    def verify(J, T):
        got = fn(J, T)
        expect(np.ndim(got) == 0, f"one (J, T) should give one number, got shape {np.shape(got)}")
        expect_match(got, exact(J, T), f"for J = {J}, T = {T}: your prediction differs from the exact average over "
                     "the four states. Which states have s_1 s_2 = +1, what are their energies, and their weights?",
                     [(np.tanh(2 * J / T), "twice too strong a coupling: the energy of the pair is -J s_1 s_2 (the 1/2 "
                                           "of E cancels the two equal terms W_12 = W_21)"),
                      (np.tanh(J / (2 * T)), "half the coupling: the two terms W_12 s_1 s_2 and W_21 s_2 s_1 both "
                                             "count, and the 1/2 of E halves their sum"),
                      (-np.tanh(J / T), "the sign is reversed: a positive J favours aligned units"),
                      (1 / (1 + np.exp(-2 * J / T)), "that is the probability that the units agree, P(s_1 = s_2): "
                                                     "the average of s_1 s_2 is P(agree) - P(disagree)")])

    return run_cases("pair_correlation", fn, [("J = 1, T = 1", lambda: verify(1.0, 1.0)),
                                              ("antiferromagnetic", lambda: verify(-0.7, 0.5)),
                                              ("hot", lambda: verify(2.0, 10.0))])
