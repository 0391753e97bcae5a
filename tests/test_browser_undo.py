"""A real headless Chromium imports a reviews file, finds it in the Upload history, confirms Undo and sees it gone."""

from __future__ import annotations

import pytest
from _browser import chromium_page
from test_browser import server  # noqa: F401 - `server` is a fixture

pytestmark = pytest.mark.browser


def test_undo_in_chromium(server, tmp_path):  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    upload = tmp_path / "my_reviews.csv"
    upload.write_text("review_id,rating,review\nA,5,Lovely\nB,2,Too small\nC,x,unreadable rating\n")
    with chromium_page(tmp_path, 1400, 1400) as page:
        page.goto(server)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Upload", exact=True).click()
        expect(page.get_by_text("No uploads yet.")).to_be_visible()
        page.locator('input[type="file"]').set_input_files(str(upload))
        expect(page.get_by_text("Detected format")).to_be_visible()
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("2 rows loaded")).to_be_visible()

        page.get_by_role("button", name="Undo this upload…").click()
        confirmation = page.locator('[data-testid="stAlert"]', has_text="Undo my_reviews.csv")
        expect(confirmation).to_contain_text("2 reviews removed")
        expect(confirmation).to_contain_text("1 rejected rows removed")
        page.get_by_role("button", name="Yes, undo it").click()
        expect(page.get_by_text("Undone: my_reviews.csv")).to_be_visible()
        expect(page.get_by_text("No uploads yet.")).to_be_visible()
