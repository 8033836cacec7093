"""A rendered page's form read back as a browser would submit it, so that a test can post the form
as shown with a few changes, or check what the page shows again after an error."""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

# A formset's hidden inputs (its management form, each row's id) are part of what the form posts.
FORMSET_HIDDEN = re.compile(r"^\w+-(?:TOTAL_FORMS|INITIAL_FORMS|MIN_NUM_FORMS|MAX_NUM_FORMS|\d+-\w+)$")


class FormReader(HTMLParser):
    """Every named control of a page (text inputs, ticked boxes and radios, selects, textareas).

    ``lists``: name -> every value the browser would send; ``values``: name -> the one value (the last),
    for pages whose names are single; ``options``: name -> the values a select, radio group or checkbox
    offers; ``selects``: the names that are selects; ``controls``: every name.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lists: dict[str, list[str]] = defaultdict(list)
        self.options: dict[str, list[str]] = defaultdict(list)
        self.controls: set[str] = set()
        self.selects: set[str] = set()
        self._select: str | None = None
        self._selected: list[str] = []
        self._textarea: str | None = None

    @property
    def values(self) -> dict[str, str]:
        return {name: values[-1] for name, values in self.lists.items() if values}

    @property
    def data(self) -> dict[str, str | list[str]]:
        """What submitting the form unchanged posts, in the test client's shape."""
        return {name: values[0] if len(values) == 1 else list(values) for name, values in self.lists.items() if values}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "option" and self._select:
            value = attributes.get("value", "")
            self.options[self._select].append(value)
            if "selected" in attributes:
                self._selected.append(value)
            return
        name = attributes.get("name")
        if not name or name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind == "submit" or (kind == "hidden" and not FORMSET_HIDDEN.match(name)):
                return
            self.controls.add(name)
            if kind in {"radio", "checkbox"}:
                self.options[name].append(attributes.get("value", "on"))
                if "checked" in attributes:
                    self.lists[name].append(attributes.get("value", "on"))
            else:
                self.lists[name].append(attributes.get("value", ""))
        elif tag == "select":
            self.controls.add(name)
            self.selects.add(name)
            self._select, self._selected = name, []
        elif tag == "textarea":
            self.controls.add(name)
            self._textarea = name
            self.lists[name].append("")

    def handle_data(self, data):
        if self._textarea:
            self.lists[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            # A select with nothing selected sends its first option, as a browser does.
            first = self.options[self._select][:1]
            self.lists[self._select].extend(self._selected or first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Django's textarea starts with a newline that browsers drop.
            self.lists[self._textarea][-1] = self.lists[self._textarea][-1].removeprefix("\n")
            self._textarea = None


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def form_data(client, url: str, *, prefix: str = "", **changes) -> dict[str, str | list[str]]:
    """The form of the page at ``url`` as shown, with ``changes``; a change to None leaves the field out
    (an unticked box). With ``prefix``, only that form's fields, and ``changes`` are named without it."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    shown = read_form(response.content.decode()).data
    if prefix:
        shown = {name: value for name, value in shown.items() if name.startswith(f"{prefix}-")}
        changes = {f"{prefix}-{name}": value for name, value in changes.items()}
    data = {**shown, **changes}
    return {name: value for name, value in data.items() if value is not None}
