"""Thin ipywidgets wiring around pure functions kept elsewhere in course_lib.

Each chapter's widgets live in ``course_lib.widgets.chNN``. The science (what a figure
shows for given control values) is a pure function in the chapter's module, tested on
its own; this package only connects controls to it. Every widget draws once when it is
built, so a headless run (papermill, nbval) executes the cell and records a figure
without waiting for anyone to move a slider.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt

__all__ = ["figure_with_controls"]


def figure_with_controls(draw: Callable[..., object], controls: dict, title: str | None = None):
    """A VBox of ``controls`` above an Output that shows ``draw(**values)``.

    ``draw`` returns a matplotlib Figure (or text); it is called once now and again
    on every change. Returns the VBox; display it as the cell's last expression.
    """
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()

    def refresh(**values):
        with out:
            out.clear_output(wait=True)
            result = draw(**values)
            if hasattr(result, "savefig"):
                display(result)
                plt.close(result)
            elif result is not None:
                print(result)

    w.interactive_output(refresh, controls)
    children = ([w.HTML(f"<b>{title}</b>")] if title else []) + [w.HBox(list(controls.values())), out]
    box = w.VBox(children)
    box.add_class("course-widget")
    return box
