"""The console on a phone (issue 19: "unusable on a phone"): at 390×844, as an iPhone 12-14 shows
it, every view of every role fits the screen — the page is never wider than the viewport (a wide
table or tree scrolls inside its own box), the navigation is on screen with a usable width, and the
member's views are all reachable from it. Before, the navigation shrank to 0 px and pages were
453–616 px wide (a 420 px column minimum and no media query).
"""

from __future__ import annotations

import pytest
from test_console_browser import PHONE, Console, browser, node  # noqa: F401 - module fixtures

pytestmark = pytest.mark.browser

ROLES = ("exchange", "regulator", "bank", "factor", "core", "supplier1", "investor1", "amc", "bank2", "underwriter")
WIDTH = PHONE["viewport"]["width"]


FIT_JS = """() => {
  const nav = document.getElementById('nav').getBoundingClientRect();
  return {page: document.documentElement.scrollWidth, screen: window.innerWidth,
          nav: [nav.left, nav.right, nav.width, nav.height],
          wide: [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right >
                  window.innerWidth + 1 && !e.closest('.card, .tree-wrap, pre, table, .chart, nav'))
                .slice(0, 3).map(e => e.tagName + '.' + e.className)};
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ROLES)
def test_every_view_fits_a_phone(browser, node, name, lang):  # noqa: F811 - fixtures
    c = Console(browser, node, name, lang, device=PHONE)
    try:
        views = c.page.eval_on_selector_all("nav a[id^='nav-']", "els => els.map(e => e.getAttribute('href'))")
        assert views, f"{name} has no views"
        for href in views:
            c.go(href.lstrip("/"))
            c.page.wait_for_load_state("networkidle")
            fit = c.page.evaluate(FIT_JS)
            # a mobile browser widens its layout viewport to fit wider content: it must stay the phone's
            assert fit["page"] <= fit["screen"] <= WIDTH, (name, lang, href, fit)
            left, right, width, height = fit["nav"]
            assert left >= 0 and right <= fit["screen"] + 1 and width >= 300 and height >= 30, (href, fit["nav"])
            assert not fit["wide"], (href, fit["wide"])
        # every view's link can be scrolled into the navigation's visible part and tapped
        last = c.page.locator("nav a[id^='nav-']").last
        last.scroll_into_view_if_needed()
        box = last.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= WIDTH + 1
        last.tap()
        c.page.wait_for_selector("main h1")
    finally:
        c.close()
