"""The study: exhibits, plots, Excel, assembly and checks, summary, annex, matrix."""
