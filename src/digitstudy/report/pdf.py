"""Compile the LaTeX report with the system's TeX toolchain (latexmk + pdflatex)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class TexError(RuntimeError):
    pass


def compile_pdf(tex: str | Path, pdf: str | Path) -> Path:
    """Run latexmk (pdflatex, as many passes as references need) next to the .tex file, so that
    its relative figure paths resolve. Raises TexError naming what is missing or the TeX error."""
    tex, pdf = Path(tex).resolve(), Path(pdf).resolve()
    latexmk = shutil.which("latexmk")
    if latexmk is None or shutil.which("pdflatex") is None:
        raise TexError(
            "latexmk and pdflatex are needed for the PDF report. On Debian/Ubuntu: apt-get install "
            "latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended"
        )
    build = tex.parent / "latex-build"
    shutil.rmtree(build, ignore_errors=True)  # no stale state from an earlier failed run
    command = [latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"-outdir={build}"]
    completed = subprocess.run([*command, tex.name], cwd=tex.parent, capture_output=True, text=True)
    print(completed.stdout[-20000:])
    if completed.returncode != 0:
        errors = [line for line in completed.stdout.splitlines() if ":" in line and "error" in line.lower()]
        raise TexError(
            f"latexmk failed ({completed.returncode}) on {tex.name}: " + ("; ".join(errors[:5]) or "see the log")
        )
    shutil.copyfile(build / tex.with_suffix(".pdf").name, pdf)
    return pdf
