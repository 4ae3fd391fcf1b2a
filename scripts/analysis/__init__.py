"""cbench's analysis: from a results folder's raw data to answers, verdicts,
charts, REPORT.md, decisions.csv and comparisons between two folders.

Modules, each depending only on those above it:
  stats    medians, order-statistic intervals with their true confidence,
           the four outcomes, the schedule of looks, rounds needed
  data     reading runs.csv, meta.txt and `cbench list --format json`
  decide   the answers per regime: the classic question, the refinements,
           the A/A control; the extra rounds still pending; decisions.csv
  claims   the verdict rules (docs/claims.toml) and their evaluation
  instrument  the cost of the instrument: P-targets against same-run references
  tables   per-configuration summaries, latency under load (capacity at SLO)
  charts   a package: gnuplot data files and scripts, a module per family
  report   REPORT.md and the README's results section
  compare  two results folders side by side (make compare)
Python 3 standard library only (Debian's python3).
"""
