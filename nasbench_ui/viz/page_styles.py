"""Stop BokehJS from rewriting a stylesheet with the text it already holds.

BokehJS 3.9 keeps the position and CSS variables of its DOM parts (legends, axes'
panels, toolbars, the canvas) in ``<style>`` elements of their shadow roots, and its
``InlineStyleSheet._update`` assigns the element's ``textContent`` on every call, also
when the text is the same. It is called on every paint (``update_position``,
``_update_css_variables``): with the workbench's live charts, about 360 assignments a
second, 340 of them with unchanged text. Each one marks the page's stylesheets as
changed, and BokehJS's next read of a visual property (``getComputedStyle(el)
.getPropertyValue("--bk-...")``, several per renderer and paint; bokeh/bokeh#15286)
makes Chromium recompute the page's styles: about 100 times a second, 60 to 90 ms of
the page's main thread a second (a CDP trace of the workbench in JupyterLab at 1400 x 900
with a 2,000-trials-a-second search).

:data:`SAME_STYLES_JS`, run once in the page, wraps that method so that it assigns
only a changed text. The result is the same stylesheet; the recalculations fell to
about 15 a second. It touches one private BokehJS method and does nothing where the
method is missing (another BokehJS); a browser test
(``tests/browser/test_workbench_e2e.py``) checks that it is in place and works.

Example:
    >>> from bokeh.models import ColumnDataSource
    >>> mark = ColumnDataSource(data={})
    >>> skip_same_styles(mark); [type(cb).__name__ for cb in mark.js_property_callbacks["change:tags"]]
    ['CustomJS']
"""

from __future__ import annotations

from typing import Any

__all__ = ["SAME_STYLES_JS", "skip_same_styles"]

#: The page side: once per page, ``InlineStyleSheet._update(css)`` assigns only a text
#: that differs from the element's (``__nbui_same_styles`` marks the wrapped method).
SAME_STYLES_JS = """
const B = window.Bokeh
let dom = null
try { dom = (B != null && typeof B.require === "function") ? B.require("core/dom") : null }
catch (e) { dom = null }
const proto = (dom != null && dom.InlineStyleSheet != null) ? dom.InlineStyleSheet.prototype : null
if (proto != null && typeof proto._update === "function" && !proto._update.__nbui_same_styles) {
  const update = proto._update
  const same = function (css) {
    if (this.el == null || this.el.textContent !== css) { update.call(this, css) }
  }
  same.__nbui_same_styles = true
  proto._update = same
}
"""


def skip_same_styles(mark: Any) -> None:
    """Install :data:`SAME_STYLES_JS` in the page the first time the kernel changes
    ``mark.tags`` (a model of the shown document that the kernel marks:
    :class:`~nasbench_ui.ui.pusher.ChartPusher`'s ``page_mark``, once per view). Once per
    page; later marks find it installed."""
    from bokeh.models import CustomJS

    mark.js_on_change("tags", CustomJS(code=SAME_STYLES_JS))
