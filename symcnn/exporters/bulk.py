"""Rendering a deep network's document without the garbage collector rescanning the network.

A 1,000-layer network is some 150,000 objects, and its JSON document adds
hundreds of thousands more that all survive until it is written. Each of the
collector's full passes meanwhile walks every one of them, and finds nothing:
printing makes no reference cycles. So a renderer runs with the objects that
exist when it starts frozen (`gc.freeze`), out of the collector's sight, and
they are unfrozen after; garbage made while rendering is still collected.
The collector is left alone when something else has frozen objects already.
"""

from __future__ import annotations

import functools
import gc


def renders_in_bulk(render):
    """`render`, run with the objects that exist when it starts out of the collector's sight."""

    @functools.wraps(render)
    def rendering(*args, **kwargs):
        if gc.get_freeze_count() or not gc.isenabled():
            return render(*args, **kwargs)
        gc.freeze()
        try:
            return render(*args, **kwargs)
        finally:
            gc.unfreeze()

    return rendering
