"""What a Streamlit page run sends to the browser, counted in-process: the protobuf messages
of every element in an ``AppTest`` run's tree (the websocket carries exactly these)."""

from __future__ import annotations

from typing import Any


def element_bytes(node: Any) -> int:
    """Bytes of every element under ``node`` (an ``AppTest`` tree), walking its children."""
    total = 0
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString"):
        total += len(proto.SerializeToString())
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        total += sum(element_bytes(child) for child in children.values())
    return total
