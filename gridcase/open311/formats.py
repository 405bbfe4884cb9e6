"""The two formats of GeoReport v2: XML (required by the spec) and JSON (its Spark-convention
mapping of the XML). Pure: documents are plain dicts and lists.

A list becomes an element per item named by the singular of its parent (`services` → `service`),
None an empty element, booleans `true`/`false`: the shapes of the spec's examples.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

# Container element → the element of each item, as in the spec's examples.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


# Characters XML 1.0 cannot carry at all; a citizen's text may contain them (pasted from
# elsewhere), and one of them would make the whole document unreadable to every client.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value):
    """The document with the characters XML cannot carry taken out of every text, so that both
    formats say the same."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {key: _clean(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(child) for child in value]
    return value


def render_json(document) -> bytes:
    return json.dumps(_clean(document), ensure_ascii=False, indent=2).encode("utf-8")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = _text(value)


def render_xml(root: str, document) -> bytes:
    """`document` under the element `root`, with the UTF-8 declaration the spec requires."""
    element = ET.Element(root)
    _fill(element, document)
    ET.indent(element)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


def render(fmt: str, root: str, document) -> bytes:
    """The document in `fmt` (json or xml); `root` names the XML root element."""
    return render_json(document) if fmt == "json" else render_xml(root, document)
