"""Nothing leaves the machine uninvited: every library's telemetry and update check off.

Storyline's models load from installed packages; no library needs the network. Some
would use it anyway unless told not to:

* ONNX Runtime's native library uploads usage events to
  ``mobile.events.data.microsoft.com`` (1DS) a few seconds after the first session is
  created, through any proxy in the environment. ``ORT_DISABLE_TELEMETRY`` is read when
  the library is imported, so it must be set before the first ``import onnxruntime``;
  ``onnxruntime.disable_telemetry_events()`` alone does not stop the upload in 1.32
  (measured with a loopback proxy: the CONNECT still came).
* Hugging Face hub / transformers / sentence-transformers: offline mode (no model
  look-ups, no telemetry pings).
* ``DO_NOT_TRACK`` for anything else that honours it (the Hugging Face hub does too).

spaCy, trafilatura, htmldate, courlan (its ``tld`` list ships with the package) and
dateparser make no requests on their own. A value the user set explicitly is kept
(``os.environ.setdefault``). Call :func:`stay_offline` before those libraries are
imported: the CLI entry point, the web app factory and the encoder do.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["OFFLINE_ENV", "quiet_onnxruntime", "stay_offline"]

OFFLINE_ENV: dict[str, str] = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
}


def stay_offline() -> None:
    """Turn off telemetry and update checks of the libraries Storyline loads
    (environment variables, set unless already set); cheap and idempotent."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


def quiet_onnxruntime(ort: Any) -> None:
    """Before creating sessions: ONNX Runtime's own switch for its telemetry events
    (belt and braces; :func:`stay_offline` before the import is what stops the upload)."""
    disable = getattr(ort, "disable_telemetry_events", None)
    if callable(disable):
        disable()
