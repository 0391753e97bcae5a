"""A real headless Chromium clicks a customer on the segment map and lands on that customer's drill-down."""

from __future__ import annotations

import pytest
from _browser import WAIT_MS, chromium_page
from _shops import trained_shop
from test_browser import server  # noqa: F401 - `server` is the fixture used below

pytestmark = pytest.mark.browser

# The segment map among the page's plotly charts (Streamlit wraps titles in <b>), once plotly has drawn it.
IS_MAP = "g => g._fullLayout && String(g.layout.title && g.layout.title.text).includes('Segment map')"
# The pixel position of the most isolated point on the map (no other point near it to catch the click), and its
# customer.
POINT_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(""" + IS_MAP + """);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, pts = [];
  gd._fullData.forEach(tr => Array.from(tr.x).forEach((x, i) =>
    pts.push({px: xa.l2p(x), py: ya.l2p(tr.y[i]), id: String(tr.customdata[i][3])})));
  let best = null, bestGap = -1;
  for (const p of pts) {
    let gap = Infinity;
    for (const q of pts) if (q !== p) gap = Math.min(gap, Math.hypot(p.px - q.px, p.py - q.py));
    if (gap > bestGap) { bestGap = gap; best = p; }
  }
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {x: box.left + best.px, y: box.top + best.py, id: best.id};
}"""


@pytest.fixture()
def segments_server(tmp_path, request):
    """The `server` fixture on a shop that already has a segments model (seeded before the server starts)."""
    trained_shop(tmp_path / "browser.duckdb")
    return request.getfixturevalue("server")


def test_click_on_the_segment_map_opens_that_customer(segments_server, tmp_path):
    from playwright.sync_api import expect

    with chromium_page(tmp_path) as page:
        page.goto(segments_server)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Segments", exact=True).click()
        # the first visit loads torch and the model: wait for the map itself
        page.wait_for_function(f"() => [...document.querySelectorAll('.js-plotly-plot')].some({IS_MAP})",
                               timeout=2 * WAIT_MS)
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        point = page.evaluate(POINT_JS)
        page.mouse.move(point["x"], point["y"])
        page.mouse.click(point["x"], point["y"])
        expect(page.get_by_text("1 customers picked")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(f"Customer {point['id']}", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("Why this risk")).to_be_visible(timeout=WAIT_MS)
