# The study's own report: every table and figure of the run, rendered through the Jinja
# templates in report/templates into one self-contained HTML file and a LaTeX document,
# which a TeX toolchain from the system (Debian's texlive) compiles to PDF.


localrules:
    report_render,
    report_pdf,


rule report_render:
    input:
        unpack(report_inputs),
        templates=[
            str(REPORT_DIR / "templates/report.html.j2"),
            str(REPORT_DIR / "templates/report.tex.j2"),
        ],
    output:
        html="results/report/report.html",
        tex="results/report/report.tex",
    log:
        "logs/report/render.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/report_render.py"


rule report_pdf:
    input:
        unpack(report_inputs),
        tex=rules.report_render.output.tex,
    output:
        "results/report/report.pdf",
    log:
        "logs/report/pdf.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/report_pdf.py"
