"""Statistics that know their noise, and the four outcomes of an answer.

Every comparison cbench makes is between two configurations measured in the
same rounds (the models take turns, so a machine whose speed drifts moves
both sides of a round alike). A comparison is the median of the per-round
ratios with an order-statistic interval of that median: the k-th smallest
and k-th largest ratio, where k is chosen from the binomial distribution so
that the interval covers the true median with a stated confidence, whatever
the shape of the noise (no normality, no bootstrap). Its confidence is
exact and depends on n: with 5 rounds the widest such interval (min–max)
covers with 1 - 2/2^5 = 93.75 %, with 3 rounds only 75 %; the report always
prints the confidence it has, never a nominal 95 %.

Four outcomes, for the interval of the better side over the other:

  winner      wholly above 1 + EFFECT            "X beats Y by R× [lo–hi]"
  equivalent  wholly inside 1/1.05 … 1.05        "X and Y are within 5 % here"
  ahead       above 1, reaching past 1.05        "X is faster; by 5 % or more is not shown"
  undecided   anything else (crosses 1 and       "not measurable here with n rounds;
              reaches past the 5 % band)          needs ≈M"

An interval inside the band is "equivalent" even when it lies above 1: the
difference is then smaller than what cbench calls an effect.

Repeated looks. The harness adds rounds to undecided regimes and looks
again; looking until something is decided would find false winners. So
decisions are taken only at the looks of a fixed schedule (the planned
rounds, then about ×1.4 each time) and each later look uses a stricter
level: look j ≥ 2 spends alpha_j = EXTRA_ALPHA · 6 / (π² (j-1)²), which sums
to EXTRA_ALPHA over all looks (a Bonferroni-style alpha-spending rule).
Between two looks a regime keeps the answer of its last look.
"""
import math
import random
import zlib

EFFECT = 0.05          # a winner must be at least 5 % ahead, interval included
CONFIDENCE = 0.95      # wanted at the first look (reached from n = 6 on)
EXTRA_ALPHA = 0.04     # spent, in all, by the looks after the first
LOOK_GROWTH = 1.4      # each look after the first has about 1.4 × the rounds
MAX_ROUNDS = 400       # the schedule ends here

WINNER, AHEAD, EQUIVALENT, UNDECIDED = "winner", "ahead", "equivalent", "undecided"
OUTCOMES = (WINNER, AHEAD, EQUIVALENT, UNDECIDED)
DECIDED = (WINNER, AHEAD, EQUIVALENT)

BOOTSTRAP_RESAMPLES = 2000   # compare.py's unpaired ratios only


def median(values):
    """The median of a non-empty sequence of numbers."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def seed_of(name):
    """A stable seed for a comparison's name (crc32: same on every run)."""
    return zlib.crc32(name.encode("utf-8"))


def quantile(sorted_values, q):
    """Linear-interpolated quantile q in [0, 1] of an already sorted list."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] * (1 - frac) + sorted_values[hi] * frac


# --- the order-statistic interval of a median ---------------------------------

def binomial_tail(k, n):
    """P(X ≤ k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) for i in range(min(k, n) + 1)) / 2 ** n


def coverage(n, k):
    """The confidence of [x_(k), x_(n+1-k)] (1-based ranks) as an interval of
    the median of n values: 1 - 2 P(X ≤ k - 1)."""
    return 1 - 2 * binomial_tail(k - 1, n)


def median_ranks(n, confidence):
    """(k, its coverage): the innermost symmetric ranks whose coverage is at
    least `confidence`; min–max (k = 1) when even that falls short."""
    best = 1
    for k in range(1, (n + 1) // 2 + 1):
        if coverage(n, k) >= confidence:
            best = k
        else:
            break
    return best, coverage(n, best)


class Interval:
    """A median with its interval, the number of values and the interval's
    true confidence."""

    def __init__(self, mid, low, high, n, confidence=None):
        self.mid, self.low, self.high, self.n = mid, low, high, n
        self.confidence = confidence

    def __repr__(self):
        return f"Interval({self.mid:.4g}, {self.low:.4g}..{self.high:.4g}, n={self.n})"

    def above(self, x):
        return self.low > x

    def below(self, x):
        return self.high < x

    def within(self, lo, hi):
        return lo <= self.low and self.high <= hi

    def inverted(self):
        """The same interval for the reciprocal ratio (b over a)."""
        def inv(x):
            return math.inf if x == 0 else 0.0 if math.isinf(x) else 1 / x
        return Interval(inv(self.mid), inv(self.high), inv(self.low), self.n, self.confidence)

    def confidence_text(self):
        return "–" if self.confidence is None else f"{self.confidence * 100:.4g} %"


def interval(values, confidence=CONFIDENCE):
    """The Interval of the median of `values` at (at least, where n allows)
    `confidence`, or None when there are no values."""
    values = sorted(values)
    n = len(values)
    if not n:
        return None
    k, conf = median_ranks(n, confidence)
    return Interval(median(values), values[k - 1], values[n - k], n, conf)


# --- paired ratios and outcomes ------------------------------------------------

FAILED = "failed"   # a round in which a side ran and failed


def paired_ratios(a_by_round, b_by_round):
    """Per-round ratios a/b over the rounds in which both sides ran. A side
    that ran and failed (value FAILED) loses that round outright: its
    ratio is 0 or infinite, never left out. Rounds where both failed, or
    one did not run, are left out."""
    out = []
    for r in sorted(set(a_by_round) & set(b_by_round)):
        a, b = a_by_round[r], b_by_round[r]
        if a == FAILED and b == FAILED:
            continue
        if a == FAILED:
            out.append(0.0)
        elif b == FAILED or b == 0:
            out.append(math.inf)
        else:
            out.append(a / b)
    return out


def ratio_interval(a_by_round, b_by_round, confidence=CONFIDENCE):
    """The median per-round ratio a/b with its interval, or None."""
    return interval(paired_ratios(a_by_round, b_by_round), confidence)


def outcome(ratio, effect=EFFECT):
    """The outcome of an interval of better/worse (see the module's header)."""
    if ratio is None:
        return None
    if ratio.above(1 + effect):
        return WINNER
    if ratio.within(1 / (1 + effect), 1 + effect):
        return EQUIVALENT
    if ratio.above(1):
        return AHEAD
    return UNDECIDED


def decide(ratio, effect=EFFECT):
    """'a' when a is the winner over b, 'b' when b is the winner over a,
    else None (compare and the claims use it for "changed beyond noise")."""
    if ratio is None:
        return None
    if ratio.above(1 + effect):
        return "a"
    if ratio.below(1 / (1 + effect)):
        return "b"
    return None


def rounds_needed(ratios, confidence=CONFIDENCE, effect=EFFECT, cap=10000):
    """About how many rounds an undecided comparison needs to reach some
    decision at its measured spread: the n at which a median interval
    (half-width ≈ z·σ·√(π/2)/√n on the log scale) would clear the nearer
    decision boundary (1 for "ahead", 1 ± effect for "equivalent"). σ is
    taken robustly (1.4826 × the median absolute deviation). None when it
    cannot be estimated; `cap` when no number of rounds would do."""
    logs = [math.log(x) for x in ratios if 0 < x < math.inf]
    if len(logs) < 3:
        return None
    m = median(logs)
    sigma = 1.4826 * median([abs(x - m) for x in logs])
    room = max(abs(m), math.log(1 + effect) - abs(m))
    if sigma == 0:
        return len(logs)
    if room <= 0:
        return cap
    z = _z_of(confidence)
    return min(cap, max(len(logs) + 1, math.ceil((z * sigma * math.sqrt(math.pi / 2) / room) ** 2)))


def _z_of(confidence):
    """The two-sided normal quantile for a confidence (bisection on erf)."""
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if math.erf(mid / math.sqrt(2)) < confidence:
            lo = mid
        else:
            hi = mid
    return hi


# --- the schedule of looks ----------------------------------------------------

def look_schedule(planned, max_rounds=MAX_ROUNDS):
    """The round counts at which decisions are taken: the planned rounds,
    then about ×LOOK_GROWTH each time (at least one more round)."""
    looks = [max(1, planned)]
    while looks[-1] < max_rounds:
        looks.append(max(looks[-1] + 1, math.ceil(looks[-1] * LOOK_GROWTH)))
    return looks


def look_confidence(j):
    """The interval's wanted confidence at look j (1 = the planned rounds)."""
    if j <= 1:
        return CONFIDENCE
    return 1 - EXTRA_ALPHA * 6 / (math.pi ** 2 * (j - 1) ** 2)


def current_look(n, planned):
    """(j, n_j): the last look at or before n rounds, or (0, 0) before the first."""
    j, at = 0, 0
    for index, looks_at in enumerate(look_schedule(planned), start=1):
        if looks_at > n:
            break
        j, at = index, looks_at
    return j, at


def next_look(n, planned):
    """The round count of the first look after n rounds."""
    for looks_at in look_schedule(planned):
        if looks_at > n:
            return looks_at
    return None


# --- compare.py: two folders' runs are not paired --------------------------------

def unpaired_ratio(new, old, name, resamples=BOOTSTRAP_RESAMPLES, confidence=0.95):
    """Median(new) / median(old) with a seeded percentile-bootstrap interval
    (each side resampled on its own), or None."""
    if not new or not old or not median(old):
        return None
    rng = random.Random(seed_of(name))
    ratios = []
    for _ in range(resamples):
        a = median([new[rng.randrange(len(new))] for _ in new])
        b = median([old[rng.randrange(len(old))] for _ in old])
        if b:
            ratios.append(a / b)
    ratios.sort()
    tail = (1 - confidence) / 2
    return Interval(median(new) / median(old), quantile(ratios, tail), quantile(ratios, 1 - tail),
                    min(len(new), len(old)), confidence)
