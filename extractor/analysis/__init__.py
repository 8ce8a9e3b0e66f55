"""What the archive says: agencies across years, indicators, cross-year findings, the audit report.

    agencies.py    names -> agencies (alias table + normalisation), one chosen report per year
    indicators.py  the indicators of one record, each defined once with its formula
    findings.py    cross-year rules between an agency's consecutive reports
    charts.py      matplotlib figures as inline SVG (CJK font found or said missing)
    pages.py       the HTML pages (overview, agency, comparison, rankings), shared with `extractor serve`
    report.py      the report folder: pages, indicators.csv, findings.csv
"""
