"""Bokeh in a Jupyter notebook: load BokehJS once, and a ``BokehModel`` that drops echoes.

Two facts about jupyter_bokeh 4.1.0 (with Bokeh 3.9), seen in JupyterLab:

* A ``BokehModel`` needs BokehJS in the page first (``output_notebook`` with INLINE
  resources: no CDN on a closed network). :func:`ensure_bokehjs` does it once per kernel.
* Its view sends back to the kernel every change it has just applied from a kernel
  patch: each ``ColumnDataSource.stream`` came back as a ``ColumnsStreamed`` event,
  each patch and property change likewise. The stock model applies them again in the
  kernel: streamed rows were doubled there, and an echo arriving after a newer change
  restored a stale value. :func:`echo_free_model` makes a ``BokehModel`` that ignores
  what only the kernel changes (data, titles, axis labels, factors) and selections equal
  to the kernel's own; what the page does originate (selections, ranges, sizes, events)
  is applied under the caller's lock.
* jupyter_bokeh's view (its ``_consume_patch``) queues the events raised while
  it applies a kernel patch and sends them all once the patch is applied. So an echo is
  also a receipt: the page has applied that change (``on_echo``).
* Echoes cost: each is a comm message the page serializes (a stream's echo carries
  its rows again), and the kernel handles each on its main thread (a busy and an idle
  status, two output flushes through the IOPub thread): about 20 a second with live
  charts, and that thread took 18 % of the interpreter lock from the search
  (``benchmarks/ui_responsiveness.py``). BokehJS marks every change it applies from
  the other side with ``sync = false`` and its own server session never sends those
  back; jupyter_bokeh does. :func:`drop_page_echoes` installs, in the page, a filter
  that drops them before jupyter_bokeh sees them, and the auto ranges' bounds the page
  computes, and answers each push mark once the page has painted it (the receipt,
  a change of the page's own). It wraps one private BokehJS method (``NO_ECHO_JS``);
  should that ever go, the echoes come back and are ignored here as before.

jupyter_bokeh has no public hook for either direction, so the echo-free model wires both
itself on public API (``Document.on_change`` and ``Widget.send`` out,
``Document.apply_json_patch`` in, as a Bokeh server does). The one private name it
uses is the page-message handler it unregisters (``JUPYTER_BOKEH_HANDLER``), checked by
:func:`check_jupyter_bokeh` and by a test.

Example:
    >>> from bokeh.plotting import figure
    >>> import threading
    >>> m = echo_free_model(figure(), threading.RLock())
    >>> type(m).__name__, m._model_name
    ('EchoFreeBokehModel', 'BokehModel')
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["JUPYTER_BOKEH_HANDLER", "KERNEL_ATTRS", "NO_ECHO_JS", "check_jupyter_bokeh",
           "drop_page_echoes", "echo_free_model",
           "ensure_bokehjs", "expect_views", "is_echo", "patch_message", "prepare_display"]

# properties that only the kernel changes: a page event on them is an echo
KERNEL_ATTRS = frozenset({"data", "text", "axis_label", "factors", "title", "tags"})
_STATE = {"bokehjs": False}


def ensure_bokehjs(force: bool = False) -> bool:
    """Load BokehJS INLINE into the notebook page once per kernel (True when it loads now).

    It displays output, so call it from a cell's display context (e.g. a widget's
    ``_repr_mimebundle_``), never at import.
    """
    if _STATE["bokehjs"] and not force:
        return False
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True)
    _STATE["bokehjs"] = True
    return True


def is_echo(document: Any, content: dict[str, Any]) -> bool:
    """Whether a page event (a ``jsevent`` message of jupyter_bokeh) only repeats the
    kernel's own change."""
    kind = content.get("kind")
    if kind in ("ColumnsStreamed", "ColumnsPatched"):
        return True
    if kind != "ModelChanged":
        return False
    attr = content.get("attr")
    if attr in KERNEL_ATTRS:
        return True
    if attr == "indices" and document is not None:
        ref = content.get("model") or {}
        model = document.get_model_by_id(ref.get("id")) if isinstance(ref, dict) else None
        if model is None:
            return False
        if type(model).__name__ != "Selection":
            return True  # a filter's indices: only the kernel sets them
        new = content.get("new")
        return isinstance(new, list) and list(model.indices) == new
    return False


#: The one private member of jupyter_bokeh this module relies on: the handler of page
#: messages that ``BokehModel.__init__`` registers with ``on_msg``. The echo-free model
#: unregisters it (with the public ``on_msg(handler, remove=True)``) and applies page
#: messages itself; tests/viz/test_notebook.py fails loudly if jupyter_bokeh renames it.
JUPYTER_BOKEH_HANDLER = "_sync_model"


def check_jupyter_bokeh(model_class: type) -> Callable[..., Any]:
    """``model_class``'s page-message handler that the echo-free model replaces
    (``JUPYTER_BOKEH_HANDLER``); RuntimeError, naming the version, when it is gone.

    Example:
        >>> from jupyter_bokeh import BokehModel
        >>> callable(check_jupyter_bokeh(BokehModel))
        True
    """
    handler = vars(model_class).get(JUPYTER_BOKEH_HANDLER)
    if not callable(handler):
        import jupyter_bokeh

        raise RuntimeError(
            f"jupyter_bokeh {jupyter_bokeh.__version__}: BokehModel has no "
            f"{JUPYTER_BOKEH_HANDLER}() any more; nasbench_ui.viz.notebook replaces that "
            "page-message handler and needs updating for this version")
    return handler


@functools.cache
def _model_class() -> type:
    from bokeh.document.events import DocumentPatchedEvent
    from ipywidgets import DOMWidget
    from jupyter_bokeh import BokehModel

    check_jupyter_bokeh(BokehModel)

    class EchoFreeBokehModel(BokehModel):
        """A ``BokehModel`` that drops echoes and applies page changes under ``lock``.

        Built on public API: the document's changes reach the page through a
        ``Document.on_change`` callback (jupyter_bokeh's own receiver is removed with
        ``Document.remove_on_change``) and are sent with ``Widget.send``; page messages
        are applied with ``Document.apply_json_patch``, as a Bokeh server does. The one
        private name used is the handler unregistered (``JUPYTER_BOKEH_HANDLER``).
        """

        #: called when a view of this model may render soon (see :meth:`expect_view`)
        on_new_view: Callable[[], Any] | None = None

        def __init__(self, root: Any, lock: Any,
                     after_sync: Callable[[], Any] | None = None,
                     on_echo: Callable[[dict[str, Any]], Any] | None = None) -> None:
            with lock:  # the document is serialized now: no change may interleave
                super().__init__(root)
                self.lock, self.after_sync, self.on_echo = lock, after_sync, on_echo
                self.syncing = False  # True while a page change is being applied
                self.echoes = 0  # echoes of the kernel's own changes received so far
                self._batch: list[Any] | None = None  # events held back by ``batch()``
                self.document = root.document
                self.on_msg(getattr(self, JUPYTER_BOKEH_HANDLER), remove=True)
                self.on_msg(self._on_page_message)
                self.document.remove_on_change(self)  # jupyter_bokeh's sender
                self.document.on_change(self._on_document_change)
                self._sending = True

        def expect_view(self) -> None:
            """A view of this model may render soon, from the document as it was when the
            model was made: tell ``on_new_view``."""
            if self.on_new_view is not None:
                self.on_new_view()

        def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
            """The widget's state (``Widget.get_state``). The whole state is what a page
            builds new views from (the comm's opening, a reloaded page's
            ``request_states``): a view may render soon (:meth:`expect_view`)."""
            if key is None:
                self.expect_view()
            return super().get_state(key, drop_defaults)

        def close(self) -> None:
            """Close the widget and stop sending the document's changes."""
            if self._sending:
                self._sending = False
                self.document.remove_on_change(self._on_document_change)
            DOMWidget.close(self)  # (BokehModel.close removes the sender removed above)

        @contextlib.contextmanager
        def batch(self) -> Iterator[None]:
            """Send the document changes made inside as one PATCH-DOC message (the page
            applies them together, and handles 3 comm messages instead of 3 per change)."""
            if self._batch is not None:  # nested: the outer batch sends
                yield
                return
            self._batch = []
            try:
                yield
            finally:
                events, self._batch = self._batch, None
                if events:
                    self._send_patch(events)

        def discard_batch(self) -> None:
            """Drop the changes held back so far by ``batch()`` (the caller sends the
            whole state instead)."""
            if self._batch is not None:
                self._batch.clear()

        def _on_document_change(self, event: Any) -> None:
            if not isinstance(event, DocumentPatchedEvent) or event.setter is self:
                return  # not for the page, or the page's own change applied here
            if self._batch is not None:
                self._batch.append(event)
            else:
                self._send_patch([event])

        def _send_patch(self, events: list[Any]) -> None:
            msg = patch_message(self.document, events)
            for part in (msg.header_json, msg.metadata_json, msg.content_json):
                self.send({"msg": "patch", "payload": part})

        def _on_page_message(self, _widget: Any, content: dict[str, Any],
                             _buffers: Any) -> None:
            if content.get("event") != "jsevent":
                return
            event = {k: v for k, v in content.items() if k != "event"}
            with self.lock:  # under the lock: a push in progress has finished, so an
                if is_echo(self.document, content):  # echo matches the kernel's state
                    self.echoes += 1
                    if self.on_echo is not None:
                        self.on_echo(content)
                    return
                self.syncing = True
                try:
                    self.document.apply_json_patch({"events": [event]}, setter=self)
                finally:
                    self.syncing = False
            if self.after_sync is not None:
                self.after_sync()

    return EchoFreeBokehModel


def expect_views(widget: Any) -> None:
    """Call :meth:`expect_view` on every echo-free model in ``widget`` and its children
    (ipywidgets ``Box`` children, recursively): call it when ``widget`` is displayed,
    since each display makes new views in the page.

    Example:
        >>> import ipywidgets as w, threading
        >>> from bokeh.plotting import figure
        >>> m = echo_free_model(figure(), threading.RLock()); seen = []
        >>> m.on_new_view = lambda: seen.append(1)
        >>> expect_views(w.VBox([w.HBox([m])])); seen
        [1]
    """
    from ipywidgets import Box

    model_class, stack, seen = _model_class(), [widget], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, model_class):
            item.expect_view()
        elif isinstance(item, Box):
            stack.extend(item.children)


def prepare_display(widget: Any) -> None:
    """What a live widget's ``_repr_mimebundle_`` does before it is displayed: load
    BokehJS into the page (:func:`ensure_bokehjs`) and tell the charts inside ``widget``
    that a new view of them is coming (:func:`expect_views`).

    Example:
        >>> import ipywidgets as w, threading
        >>> from bokeh.plotting import figure
        >>> m = echo_free_model(figure(), threading.RLock()); seen = []
        >>> m.on_new_view = lambda: seen.append(1)
        >>> prepare_display(w.VBox([m])); seen, _STATE["bokehjs"]
        ([1], True)
    """
    ensure_bokehjs()
    expect_views(widget)  # each display makes new views, from the document as first sent


def patch_message(document: Any, events: list[Any]) -> Any:
    """A Bokeh ``PATCH-DOC`` message of ``events`` with its arrays inline (base64 in the
    content, no binary buffers), as ``Protocol().create("PATCH-DOC", events)`` builds it
    otherwise.

    jupyter_bokeh's view takes one fragment per comm message, and each buffer costs two
    (its header, its bytes): a push of five arrays was 13 comm messages, each one a
    wake-up of the kernel's IOPub thread (which takes the search's interpreter lock) and
    a message through the server and the page. Inline, a push is always 3.

    Example:
        >>> from bokeh.document import Document
        >>> from bokeh.models import ColumnDataSource
        >>> import numpy as np
        >>> doc, seen = Document(), []
        >>> src = ColumnDataSource({"x": np.arange(3)}); doc.add_root(src)
        >>> doc.on_change(seen.append); src.data = {"x": np.arange(4)}
        >>> msg = patch_message(doc, seen)
        >>> msg.buffers, msg.header["msgtype"], '"bytes"' in msg.content_json
        ([], 'PATCH-DOC', True)
    """
    from bokeh.core.serialization import Serializer
    from bokeh.protocol.messages.patch_doc import patch_doc

    serializer = Serializer(references=document.models.synced_references, deferred=False)
    content = {"events": serializer.encode(events)}
    document.models.flush_synced(lambda model: not serializer.has_ref(model))
    return patch_doc(patch_doc.create_header(), {}, content)


def echo_free_model(layout: Any, lock: Any, after_sync: Callable[[], Any] | None = None,
                    on_echo: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """A jupyter_bokeh ``BokehModel`` of ``layout`` that ignores echoes (see the module
    docstring). Page changes are applied holding ``lock``; ``after_sync()`` runs after
    each, with the lock released (to call user callbacks outside it). ``on_echo(content)``
    sees each echo, under the lock: an echo tells that a view has applied that change,
    so it serves as an acknowledgement (``ui.charts`` paces its pushes with it)."""
    return _model_class()(layout, lock, after_sync, on_echo)


#: The page side of :func:`drop_page_echoes`: a ``CustomJS`` run when the kernel changes
#: ``mark.tags``. Once per page document, it wraps the document's private
#: ``_trigger_on_change`` (BokehJS 3.x: it hands each change to the ``on_change``
#: listeners, jupyter_bokeh's among them) so that changes applied from the kernel
#: (``sync === false``) to models' properties and columns are not passed on, nor the
#: bounds of auto ranges
#: (``DataRange1d``), which the page recomputes from the data after every push and the
#: kernel never reads (four more messages a push). Roots and titles pass (the page's
#: embed code renders added roots from them). Then, at each mark ``[seq]`` from the
#: kernel, it sets ``mark.tags = [seq, 1]`` once the page has painted (the animation
#: frame after the patch, then a timeout): the receipt. An echo of the mark came as soon
#: as the patch was applied, before it was drawn, so the kernel pushed faster than a
#: page with 100k rows draws, and the page's lag and cell latency grew with the run.
NO_ECHO_JS = """
const doc = mark.document
if (doc != null && !doc.__nbui_no_echo && typeof doc._trigger_on_change === "function") {
  doc.__nbui_no_echo = true
  const echo = new Set(["ModelChanged", "ColumnDataChanged", "ColumnsStreamed",
                        "ColumnsPatched"])
  // an auto range's bounds, which the page computes from the data at every push
  const bounds = (e) => e.kind === "ModelChanged" && (e.attr === "start" || e.attr === "end")
    && e.model != null && e.model.constructor.__name__ === "DataRange1d"
  const keep = (e) => !bounds(e) && (e.sync !== false || !echo.has(e.kind))
  const trigger = doc._trigger_on_change.bind(doc)
  doc._trigger_on_change = (event) => {
    if (Array.isArray(event.events)) {  // a batch: pass on what is kept, one by one
      const kept = event.events.filter(keep)
      if (kept.length === event.events.length) { trigger(event) }
      else { for (const e of kept) { trigger(e) } }
    } else if (keep(event)) {
      trigger(event)
    }
  }
}
// the receipt: once the page has painted this push (the frame after it, where BokehJS
// draws the new data), the mark comes back as a change of the page's own, [mark, 1]
if (mark.tags.length === 1) {
  const seq = mark.tags[0]
  const later = (f) => (typeof requestAnimationFrame === "function")
    ? requestAnimationFrame(() => setTimeout(f, 0)) : setTimeout(f, 0)
  later(() => { if (mark.tags[0] === seq) { mark.tags = [seq, 1] } })
}
"""


def drop_page_echoes(mark: Any) -> None:
    """Have the page drop its echoes of the kernel's changes (see the module docstring)
    from the first time the kernel changes ``mark.tags`` on, and answer each new mark
    ``[seq]`` with ``[seq, 1]`` once it has painted it (a receipt). ``mark`` is a Bokeh
    model of the shown document.

    Example:
        >>> from bokeh.models import ColumnDataSource
        >>> mark = ColumnDataSource(data={})
        >>> drop_page_echoes(mark); list(mark.js_property_callbacks)
        ['change:tags']
    """
    from bokeh.models import CustomJS

    mark.js_on_change("tags", CustomJS(args={"mark": mark}, code=NO_ECHO_JS))
