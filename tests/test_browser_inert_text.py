"""In a real headless Chromium: an address or URL in user text (here an uploaded file's name) shows as text, never
as a link to another host (GitHub-flavoured Markdown links them even when every markup character is escaped), and
copies as the very characters uploaded."""

from __future__ import annotations

import pytest
from _browser import chromium_page, serving

pytestmark = pytest.mark.browser

NAME = "orders for jane.doe@shop.example from https___x.example and www.shop.example.csv"


def test_an_uploaded_file_name_with_addresses_is_not_a_link(tmp_path):
    from playwright.sync_api import expect

    upload = tmp_path / NAME
    upload.write_text("Name,Email,Created at,Lineitem name,Lineitem quantity,Lineitem price\n"
                      "#1001,jane.doe@shop.example,2024-01-05 10:00:00 +0100,Mug,1,9.5\n")
    with serving(tmp_path / "inert.duckdb", tmp_path) as url, chromium_page(tmp_path) as page:
        page.goto(url)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Upload", exact=True).click()
        page.locator('input[type="file"]').set_input_files(str(upload))
        shown = page.locator('[data-testid="stMarkdownContainer"] strong', has_text="jane.doe@")
        expect(shown).to_be_visible()
        # The words are all there, and copying them gives the name itself (no invisible character in between) ...
        assert shown.inner_text() == NAME
        copied = shown.evaluate("""e => { const r = document.createRange(); r.selectNodeContents(e);
                                           const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
                                           return s.toString(); }""")
        assert copied == NAME
        # ... and nothing in the page's content links out: no mailto:, no http(s) link to the names in the file.
        hrefs = page.locator('[data-testid="stMain"] a').evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if h and ("example" in h or h.startswith("mailto:"))], hrefs
