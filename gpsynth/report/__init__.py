"""The dataset report: what a store holds, as one self-contained HTML page with inline SVG charts."""

from .page import Report, report_html, write_report

__all__ = ["Report", "report_html", "write_report"]
