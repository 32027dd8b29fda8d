"""Pure statistics: NumPy/SciPy only, no database, no web (DESIGN.md §3, §4).

Subpackages and modules are imported explicitly (``from lingqu.stats.acceptance import ...``);
this package does not import them eagerly.
"""
