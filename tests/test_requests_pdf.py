"""PDFs share the fonts parsed once per process, yet each document keeps its own letters."""

from __future__ import annotations

import io

import pypdf

from lawful.documents import pdf_faces
from lawful.documents.pdf import markdown_to_pdf


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_documents_made_one_after_another_keep_their_own_letters():
    documents = [
        "# Отчёт\n\n| a | b |\n|---|---|\n| Иван Петров | 1 |\n",
        "# Report\n\nNguyễn Văn An, **bold** and *emphasis*.\n",
        "# Отчёт\n\n| a | b |\n|---|---|\n| Фёдор Щукин | 2 |\n",
        "# Αναφορά\n\nΓιώργος Παπαδόπουλος\n",  # Greek: blocks no other document used
    ]
    texts = [_text(markdown_to_pdf(markdown, title="t")) for markdown in documents]
    assert "Иван Петров" in texts[0] and "Фёдор" not in texts[0]
    assert "Nguyễn Văn An" in texts[1] and "emphasis" in texts[1]
    assert "Фёдор Щукин" in texts[2] and "Иван" not in texts[2]
    assert "Γιώργος Παπαδόπουλος" in texts[3]


def test_the_font_is_parsed_once_per_set_of_unicode_blocks():
    markdown = "# Отчёт\n\nАнна Смирнова\n"
    markdown_to_pdf(markdown, title="t")
    before = pdf_faces.face.cache_info()
    markdown_to_pdf("# Отчёт\n\nПётр Сидоров\n", title="t")  # the same blocks
    after = pdf_faces.face.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
