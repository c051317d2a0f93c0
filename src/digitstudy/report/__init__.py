"""The study's report: tables and sentences computed from one run's result files, rendered
through Jinja templates (report/templates) into one self-contained HTML file and a LaTeX
document compiled to PDF."""
