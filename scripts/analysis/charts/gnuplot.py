"""Running gnuplot: one script per chart drawing PNG and SVG, in a temporary folder,
with a deadline; redrawing the same data gives the same bytes.
"""
import os
import shutil
import subprocess

from .blocks import FONT


GNUPLOT = "gnuplot"


TIMEOUT_S = 60


class ChartError(RuntimeError):
    """gnuplot is missing, failed or timed out."""


HEADER = """set encoding utf8
set termoption noenhanced
set datafile separator tab
set grid lc rgb '#dddddd'
set key outside right top vertical Left reverse box
"""


def script(chart):
    """One gnuplot script drawing the chart twice: PNG, then SVG."""
    out = []
    for ext, term in (("png", f"pngcairo noenhanced font '{FONT}' size {chart.width},{chart.height}"),
                      ("svg", f"svg noenhanced size {chart.width},{chart.height} font '{FONT}' "
                              "background rgb 'white'")):
        out += [f"set terminal {term}", f"set output '{chart.name}.{ext}'", HEADER, chart.body,
                "unset output", "reset"]
    return "\n".join(out) + "\n"


def run_gnuplot(chart, work, out_dir, timeout):
    with open(os.path.join(work, chart.df.name), "w", encoding="utf-8") as f:
        f.write(chart.df.text())
    gp = f"{chart.name}.gp"
    with open(os.path.join(work, gp), "w", encoding="utf-8") as f:
        f.write(script(chart))
    try:
        done = subprocess.run([GNUPLOT, gp], cwd=work, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError as e:
        raise ChartError("gnuplot is not installed (see scripts/deps.sh)") from e
    except subprocess.TimeoutExpired as e:
        raise ChartError(f"gnuplot took more than {timeout} s on {chart.name}") from e
    if done.returncode != 0:
        raise ChartError(f"gnuplot failed on {chart.name} ({work}/{gp}):\n{done.stderr.strip()}")
    for ext in ("png", "svg"):
        src = os.path.join(work, f"{chart.name}.{ext}")
        if not os.path.getsize(src):
            raise ChartError(f"gnuplot wrote an empty {chart.name}.{ext}")
        shutil.copyfile(src, os.path.join(out_dir, f"{chart.name}.{ext}"))
