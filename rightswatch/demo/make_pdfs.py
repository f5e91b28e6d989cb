"""Generate the demo's PDF reports (PPU) from ``data/ppu.toml`` into ``files/``.

Run once after editing the reports: ``python -m rightswatch.demo.make_pdfs``. The PDFs are
committed, so serving them needs no PDF library at run time; fpdf2 and matplotlib (for its
bundled DejaVu Sans, a Unicode TTF with Cyrillic) are dev-only dependencies. Fonts are
subset by fpdf2 and the creation date is pinned, so regenerating gives stable, small files.
"""

from __future__ import annotations

from pathlib import Path

from rightswatch.demo.world import FILES_DIR, KYIV, Report, load_site


def _font_path() -> Path:
    """DejaVu Sans as shipped by matplotlib: present wherever the dev extras are installed."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def render_report(report: Report) -> bytes:
    """One report as PDF bytes: a header line, one page per ``[[report.page]]``, page numbers."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", size=8)
            self.cell(
                0,
                6,
                "Представництво Президента України в АРК / Mission of the President "
                "of Ukraine in the ARC",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("DejaVu", size=8)
            self.cell(0, 10, f"{self.page_no()} / {{nb}}", align="C")

    pdf = _Pdf(format="A4")
    pdf.set_creation_date(report.published.astimezone(KYIV))
    pdf.set_title(report.title)
    pdf.set_author("Mission of the President of Ukraine in the ARC (demo)")
    pdf.set_creator("rightswatch demo make_pdfs.py")
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.alias_nb_pages()
    published = report.published.astimezone(KYIV).strftime("%d.%m.%Y")
    for page in report.pages:
        pdf.add_page()
        pdf.set_font("DejaVu", size=14)
        pdf.multi_cell(0, 8, page["heading"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        pdf.cell(
            0,
            6,
            ("Київ, " if page["lang"] == "uk" else "Kyiv, ") + published,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        pdf.set_font("DejaVu", size=11)
        for paragraph in page["paragraphs"]:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def main() -> None:
    """Write every PPU report into ``files/``."""
    FILES_DIR.mkdir(exist_ok=True)
    for report in load_site("ppu").reports:
        target = FILES_DIR / report.file
        target.write_bytes(render_report(report))
        print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
