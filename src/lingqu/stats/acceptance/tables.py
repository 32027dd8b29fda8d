"""The tables of GB/T 2828.1-2012 (identical to ISO 2859-1:1999 + Amd 1:2011) as data.

Every master table is written here the way the standard prints it: a row per sample-size code
letter with its sample size, a column per preferred AQL, and in each cell either a plan or an
arrow. Nothing is pre-resolved: :mod:`lingqu.stats.acceptance.plans` follows the arrows.

Cell symbols
    ``Ac/Re``          a single sampling plan (acceptance and rejection number)
    ``a1/r1,a2/r2``    a double sampling plan: Ac1/Re1 for the first sample, Ac2/Re2 for the
                       cumulative count after the second sample (both samples have the row's size)
    ``↓``              use the first plan below the arrow (clause 10.2, table notes)
    ``↑``              use the first plan above the arrow
    ``*``              double tables only: no double plan, use the corresponding single plan
    ``·``              no entry (only row S of the tightened tables, which holds one plan)

Where the values come from (see docs/methods/acceptance-sampling.md and the tests):

* Table 1 (code letters), Tables 2-A and 2-B (single, normal and tightened) and the cell layout of
  Tables 3-A/3-B: MIL-STD-105E / ANSI Z1.4 prints the same tables as ISO 2859-1 for these; they were
  transcribed from source S46 (GitHub fjgonzalezmgt/AQLSchemesCust, R/AAZ14Single.R and
  R/AAZ14Double.R, commit c42ea7df) and the arrows written back where the resolved cells point to
  another row's plan. The tests compare every cell again with S46.
* Table 2-C (single, reduced): ISO 2859-1:1999 "eliminated the gap between the acceptance and
  rejection numbers" of the reduced plans (foreword, quoted in S48). The acceptance numbers and the
  sample sizes are those of S46; the rejection number is Ac + 1 (no "accept but reinstate normal"
  zone). The acceptance number is kept because it alone decides acceptance under the 1999 rules.
* Tables 3-A and 3-B (double, normal and tightened): S46 with the two plan changes of the 1999
  edition ("some changes have been made to the double sampling plans to provide a smaller average
  sample size"): 1/4,4/5 -> 1/3,4/5 and (normal) 3/7,8/9 -> 3/6,9/10.
* Table 3-C (double, reduced): derived, not transcribed. Each S46 (1987) reduced double plan is
  replaced by the ISO double plan that corresponds to the 1999 reduced single plan in the same cell
  (the single<->double correspondence of Tables 2-A/3-A); where that single plan has Ac = 0 the
  cell is ``*``. See the caveat in docs/methods/acceptance-sampling.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: The preferred AQLs of the standard (clause 5.2), as printed. AQLs above 10 are in
#: nonconformities per 100 items only.
AQLS: tuple[str, ...] = (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0", "1.5",
    "2.5", "4.0", "6.5", "10", "15", "25", "40", "65", "100", "150", "250", "400", "650", "1000",
)
#: Inspection levels: special S-1..S-4 and general I, II, III (clause 10.1, Table 1).
LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
#: Severities of inspection (clause 9).
STAGES: tuple[str, ...] = ("normal", "tightened", "reduced")
#: Types of sampling plan implemented (clause 10.3; multiple sampling is not implemented).
SCHEMES: tuple[str, ...] = ("single", "double")
#: Code letters of the single and double tables in order (row S exists in the tightened tables only).
CODE_LETTERS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPQRS")

#: Table 1 — sample size code letters. Lot-size band (lowest, highest; None = and over), then the
#: letters for S-1 S-2 S-3 S-4 I II III.
CODE_LETTER_TABLE: tuple[tuple[int, int | None, str], ...] = (
    (2, 8, "AAAAAAB"),
    (9, 15, "AAAAABC"),
    (16, 25, "AABBBCD"),
    (26, 50, "ABBCCDE"),
    (51, 90, "BBCCCEF"),
    (91, 150, "BBCDDFG"),
    (151, 280, "BCDEEGH"),
    (281, 500, "BCDEFHJ"),
    (501, 1200, "CCEFGJK"),
    (1201, 3200, "CDEGHKL"),
    (3201, 10000, "CDFGJLM"),
    (10001, 35000, "CDFHKMN"),
    (35001, 150000, "DEGJLNP"),
    (150001, 500000, "DEGJMPQ"),
    (500001, None, "DEHKNQR"),
)

# Table 2-A — single sampling plans for normal inspection (master table).
SINGLE_NORMAL = """
#  n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A    2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31
B    3     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45
C    5     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ↑
D    8     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ↑     ↑
E   13     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ↑     ↑     ↑
F   20     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑
G   32     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑
H   50     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
J   80     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
K  125     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
L  200     ↓     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
M  315     ↓     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
N  500     ↓     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
P  800     ↓   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
Q 1250   0/1     ↑     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
R 2000     ↑     ↑   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
"""

# Table 2-B — single sampling plans for tightened inspection (master table). Row S holds one plan.
SINGLE_TIGHTENED = """
#  n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A    2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28
B    3     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42
C    5     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ↑
D    8     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ↑     ↑
E   13     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ↑     ↑     ↑
F   20     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑
G   32     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑
H   50     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
J   80     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
K  125     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
L  200     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
M  315     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
N  500     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
P  800     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
Q 1250     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
R 2000   0/1     ↑     ↓   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
S 3150     ·     ·   1/2     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·     ·
"""

# Table 2-C — single sampling plans for reduced inspection (master table).
SINGLE_REDUCED = """
#  n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A    2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↓     ↓   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31
B    2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   2/3   3/4     ↑     ↑     ↑     ↑     ↑     ↑
C    2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑
D    3     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑
E    5     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ↑     ↑     ↑
F    8     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑
G   13     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑
H   20     ↓     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
J   32     ↓     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
K   50     ↓     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
L   80     ↓     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
M  125     ↓     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
N  200     ↓     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
P  315     ↓   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
Q  500   0/1     ↑     ↓   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
R  800     ↑     ↑   0/1   1/2   1/2   2/3   3/4   5/6   7/8 10/11     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
"""

# Table 3-A — double sampling plans for normal inspection (master table). Size = each sample.
DOUBLE_NORMAL = """
A    - * * * * * * * * * * * * * * * * * * * * * * * * * *
B    2 * * * * * * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 17/22,37/38 25/31,56/57
C    3 * * * * * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 17/22,37/38 25/31,56/57 ↑
D    5 * * * * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 17/22,37/38 25/31,56/57 ↑ ↑
E    8 * * * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 17/22,37/38 25/31,56/57 ↑ ↑ ↑
F   13 * * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑
G   20 * * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑
H   32 * * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
J   50 * * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
K   80 * * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
L  125 * * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
M  200 * * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
N  315 * * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
P  500 * * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
Q  800 * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
R 1250 * * 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
"""

# Table 3-B — double sampling plans for tightened inspection (master table).
DOUBLE_TIGHTENED = """
A    - * * * * * * * * * * * * * * * ↓ ↓ ↓ * * * * * * * *
B    2 * * * * * * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 15/20,34/35 23/29,52/53
C    3 * * * * * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 15/20,34/35 23/29,52/53 ↑
D    5 * * * * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 15/20,34/35 23/29,52/53 ↑ ↑
E    8 * * * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 15/20,34/35 23/29,52/53 ↑ ↑ ↑
F   13 * * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑
G   20 * * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑
H   32 * * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
J   50 * * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
K   80 * * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
L  125 * * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
M  200 * * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
N  315 * * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
P  500 * * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
Q  800 * * ↓ ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
R 1250 * * ↓ 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/7,11/12 6/10,15/16 9/14,23/24 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑
S 2000 · · 0/2,1/2 · · · · · · · · · · · · · · · · · · · · · · ·
"""

# Table 3-C — double sampling plans for reduced inspection (derived, see the module docstring).
DOUBLE_REDUCED = """
A    - * * * * * * * * * * * * * * * * * * * * * * * * * *
B    - * * * * * * * * * * * * * * * * * * * * * * * * * *
C    - * * * * * * * * * * * * * * ↓ * * * * * * * * * * *
D    2 * * * * * * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 * *
E    3 * * * * * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 7/11,18/19 11/16,26/27 ↑ * *
F    5 * * * * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ * *
G    8 * * * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ * *
H   13 * * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ * *
J   20 * * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
K   32 * * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
L   50 * * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
M   80 * * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
N  125 * * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
P  200 * * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
Q  315 * * ↓ * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
R  500 * * * 0/2,1/2 0/2,1/2 0/3,3/4 1/3,4/5 2/5,6/7 3/6,9/10 5/9,12/13 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ * *
"""


#: Table number in the standard for each (stage, scheme).
TABLE_NUMBERS: dict[tuple[str, str], str] = {
    ("normal", "single"): "2-A", ("tightened", "single"): "2-B", ("reduced", "single"): "2-C",
    ("normal", "double"): "3-A", ("tightened", "double"): "3-B", ("reduced", "double"): "3-C",
}
_TEXT = {
    ("normal", "single"): SINGLE_NORMAL, ("tightened", "single"): SINGLE_TIGHTENED,
    ("reduced", "single"): SINGLE_REDUCED, ("normal", "double"): DOUBLE_NORMAL,
    ("tightened", "double"): DOUBLE_TIGHTENED, ("reduced", "double"): DOUBLE_REDUCED,
}
DOWN, UP, SINGLE_INSTEAD, BLANK = "↓", "↑", "*", "·"


@dataclass(frozen=True)
class MasterTable:
    """One master table: rows in code-letter order, each with its sample size and 26 raw cells."""

    number: str
    stage: str
    scheme: str
    letters: tuple[str, ...]
    sample_sizes: tuple[int | None, ...]
    cells: tuple[tuple[str, ...], ...]

    def row_index(self, letter: str) -> int:
        return self.letters.index(letter)


def _parse(stage: str, scheme: str) -> MasterTable:
    letters, sizes, cells = [], [], []
    for line in _TEXT[(stage, scheme)].strip().splitlines():
        if line.startswith("#"):
            continue
        letter, size, *row = line.split()
        if len(row) != len(AQLS):
            raise AssertionError(f"Table {TABLE_NUMBERS[(stage, scheme)]} row {letter}: {len(row)} cells")
        letters.append(letter)
        sizes.append(None if size == "-" else int(size))
        cells.append(tuple(row))
    return MasterTable(TABLE_NUMBERS[(stage, scheme)], stage, scheme, tuple(letters), tuple(sizes), tuple(cells))


@lru_cache(maxsize=None)
def master_table(stage: str, scheme: str) -> MasterTable:
    """The parsed master table for a severity (``normal``/``tightened``/``reduced``) and scheme."""
    return _parse(stage, scheme)
