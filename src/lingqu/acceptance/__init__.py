"""Acceptance sampling by product line (GB/T 2828.1-2012): plans, lot records and switching rules.

The statistics live in :mod:`lingqu.stats.acceptance`; this domain stores each product line's
switching state and its lot inspections, and exposes them through the CLI, the API and a page.
"""
