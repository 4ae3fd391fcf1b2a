"""cbench's analysis: from a results folder's raw data to verdicts, charts,
REPORT.md and comparisons between two folders.

Modules, each depending only on those above it:
  stats    medians, seeded bootstrap intervals, win/tie decisions
  data     reading runs.csv, meta.txt and `cbench list --format json`
  claims   the verdict rules (docs/claims.toml) and their evaluation
  tables   the which-model-when table and per-configuration summaries
  charts   gnuplot data files and scripts
  report   REPORT.md and the README's results section
  compare  two results folders side by side (make compare)
Python 3 standard library only (Debian's python3).
"""
