"""Text on the page: every string that is not constant markup reaches it as text.

The ipywidgets ``HTML`` widget sets ``innerHTML``, so an experiment name, a store path,
a device, an error message or a label from a shared space JSON that holds
``<img src=x onerror=...>`` would run in the page, and page JavaScript can drive the
kernel. So the package shows HTML only through :class:`SafeHTML`, which escapes any
value that is not :class:`Markup`. Markup is made here only:

* :func:`esc` escapes one value (``str(value)``, quotes included, so it is safe in an
  attribute too);
* :func:`markup` fills a constant template: every field is escaped after its format
  spec is applied (``{n:.3f}``), except values that already are ``Markup``;
* ``Markup + str`` escapes the str; :func:`join` joins parts with a separator;
* :func:`error_html` and :func:`status_html` are the red error line and the status
  word (a failed search in red; any status shows as text);
* :func:`bokeh_text` is a literal for a Bokeh tooltip template (BokehJS parses the
  template as HTML and reads ``@name`` / ``$name`` in it as fields).

A string that slipped through unescaped is shown as its text, never run.

Example:
    >>> PAYLOAD = '<img src=x onerror="window.__x=1">'
    >>> str(markup("run <b>{name}</b> · {n:.2f}", name=PAYLOAD, n=0.5))
    'run <b>&lt;img src=x onerror=&quot;window.__x=1&quot;&gt;</b> · 0.50'
    >>> print(SafeHTML(PAYLOAD).value)
    &lt;img src=x onerror=&quot;window.__x=1&quot;&gt;
    >>> print(SafeHTML(Markup("<b>constant</b>")).value)
    <b>constant</b>
"""

from __future__ import annotations

import html
import os
import string
from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import traitlets

__all__ = ["ERROR_COLOR", "Markup", "SafeHTML", "bokeh_text", "error_html", "esc", "join",
           "markup", "paragraph", "shown_path", "status_html", "WORKBENCH_STYLE"]

#: the red of errors and failed searches
ERROR_COLOR = "#c0392b"
#: statuses with their own look; any other status is shown as plain text
_STATUS_STYLE = {"failed": f"color:{ERROR_COLOR};font-weight:bold"}


class Markup(str):
    """A str that is trusted HTML (constant markup, or built by :func:`markup`).

    ``Markup + str`` (and ``str + Markup``) escape the plain str and stay Markup.

    Example:
        >>> Markup("<br>") + "<i>"
        Markup('<br>&lt;i&gt;')
    """

    __slots__ = ()

    def __add__(self, other: Any) -> Markup:  # type: ignore[override]
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: Any) -> Markup:
        return Markup(str.__add__(esc(other), self))

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


def esc(value: Any) -> Markup:
    """``value`` as text: ``str(value)`` with ``& < > " '`` escaped; Markup is kept.

    Example:
        >>> esc("a<b & 'c'")
        Markup('a&lt;b &amp; &#x27;c&#x27;')
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markup) and not format_spec:
            return value
        return html.escape(format(value, format_spec), quote=True)


_FORMATTER = _Escaping()


def markup(template: str, *args: Any, **kwargs: Any) -> Markup:
    """Fill the constant markup ``template`` (``str.format`` syntax), escaping every field.

    Example:
        >>> markup("<code>{}</code>", "a<b")
        Markup('<code>a&lt;b</code>')
    """
    return Markup(_FORMATTER.vformat(template, args, kwargs))


def join(sep: str, parts: Iterable[Any]) -> Markup:
    """``sep`` (constant markup) between ``parts`` (each escaped unless Markup).

    Example:
        >>> join("<br>", ["a", Markup("<b>b</b>"), "<c>"])
        Markup('a<br><b>b</b><br>&lt;c&gt;')
    """
    return Markup(sep.join(esc(p) for p in parts))


def error_html(message: Any, cls: str = "nbui-error") -> Markup:
    """``message`` as red text in a span of class ``cls`` (a constant class name).

    Example:
        >>> error_html("bad <x>")
        Markup("<span class='nbui-error' style='color:#c0392b'>bad &lt;x&gt;</span>")
    """
    return markup("<span class='{cls}' style='color:{color}'>{message}</span>",
                  cls=cls, color=ERROR_COLOR, message=message)


def paragraph(content: Any) -> Markup:
    """``content`` (escaped unless Markup) as a paragraph, its lines a text line apart:
    ipywidgets gives an HTML widget's text the height of a widget row (28 px) a line, so
    a note that wraps stood twice as far apart as text.

    Example:
        >>> paragraph("a <b>")
        Markup('<div style="line-height:1.35">a &lt;b&gt;</div>')
    """
    return markup('<div style="line-height:1.35">{}</div>', content)


def status_html(status: Any) -> Markup:
    """The status word of a search or race: ``failed`` in bold red, any other as text.

    Example:
        >>> status_html("failed")
        Markup("<span class='nbui-state nbui-state-failed' style='color:#c0392b;font-weight:bold'>failed</span>")
        >>> status_html("<b>odd</b>")
        Markup("<span class='nbui-state'>&lt;b&gt;odd&lt;/b&gt;</span>")
    """
    text = str(status)
    style = _STATUS_STYLE.get(text)
    if style is None:
        return markup("<span class='nbui-state'>{}</span>", text)
    return markup("<span class='nbui-state nbui-state-{0}' style='{1}'>{0}</span>", text, style)


def shown_path(path: Any, folder: str | os.PathLike[str] | None = None) -> str:
    """``path`` as a person reads it: relative to ``folder`` (the notebook's folder, the
    kernel's working directory, by default) when it lies inside it, else as it is.

    Example:
        >>> shown_path("/work/nb/runs/a.db", "/work/nb"), shown_path("/tmp/a.db", "/work/nb")
        ('runs/a.db', '/tmp/a.db')
        >>> shown_path(":memory:")
        ':memory:'
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
    if text == ":memory:" or not os.path.isabs(text):
        return text
    base = os.path.abspath(folder if folder is not None else os.getcwd())
    try:
        rel = os.path.relpath(text, base)
    except ValueError:  # another drive (Windows)
        return text
    return text if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def bokeh_text(value: Any) -> str:
    """``value`` as a literal in a Bokeh tooltip template: escaped, with ``@`` and ``$``
    written as character references so BokehJS reads no field in it.

    Example:
        >>> bokeh_text("<b>a@b$c</b>")
        '&lt;b&gt;a&#64;b&#36;c&lt;/b&gt;'
    """
    return str(esc(value)).replace("@", "&#64;").replace("$", "&#36;")


class SafeHTML(w.HTML):
    """The package's only HTML widget: a value that is not :class:`Markup` is escaped
    (shown as text) when it is set.

    Example:
        >>> box = SafeHTML()
        >>> box.value = "<script>alert(1)</script>"
        >>> print(box.value)
        &lt;script&gt;alert(1)&lt;/script&gt;
    """

    @traitlets.validate("value")
    def _escape_plain(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        return value if isinstance(value, Markup) else esc(value)


#: the workbench's own look: invalid fields in red, a status line that wraps (each of its
#: counts kept whole), labels whole, the Share tab's file button without ipywidgets' count
#: of files ("Import file (0)"), the Compare tab's two drawings in the panel's width and
#: its table's columns apart
WORKBENCH_STYLE = Markup("""<style>
.nbui-workbench .nbui-bad input, .nbui-workbench .nbui-bad select,
.nbui-workbench input.nbui-bad, .nbui-workbench .nbui-bad .widget-text input
  { border-color: #c0392b !important; background: #fdecea !important; }
.nbui-workbench .nbui-status-line .widget-html-content,
.nbui-workbench .nbui-progress-label .widget-html-content,
.nbui-workbench .nbui-notice .widget-html-content,
.nbui-workbench .nbui-runs-message .widget-html-content,
.nbui-workbench .nbui-budget-message .widget-html-content
  { white-space: normal; overflow-wrap: anywhere; line-height: 1.35; }
.nbui-workbench .nbui-controls .widget-label { overflow: visible; }
.nbui-workbench .nbui-status-line .nbui-count { white-space: nowrap; }
.nbui-workbench .nbui-upload { font-size: 0; }
.nbui-workbench .nbui-upload i.fa { font-size: var(--jp-widgets-font-size, 13px); }
.nbui-workbench .nbui-upload::after { content: "Import file";
  font-size: var(--jp-widgets-font-size, 13px); }
.nbui-workbench .nbui-diff-graphs { gap: 4px 24px; }
.nbui-workbench .nbui-diff-graph { flex: 0 1 auto; min-width: 0; max-width: 100%; }
.nbui-workbench .nbui-diff-graph .widget-html-content { min-width: 0; }
.nbui-workbench .nbui-diff-graph svg.nbui-arch { display: block; max-width: 100%;
  height: auto; }
.nbui-workbench .nbui-diff-table th, .nbui-workbench .nbui-diff-table td
  { padding: 0 14px 0 4px; text-align: left; }
.nbui-workbench .nbui-runs select { font-family: var(--jp-code-font-family, monospace);
  font-size: 12px; }
</style>""")
