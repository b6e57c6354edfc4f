"""Submit a page's real form as a browser would: every field with the value the page gives it
(hidden fields, CSRF token, selected options, checked boxes), some fields overridden."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    submit_names: dict[str, str] = field(default_factory=dict)
    choices: set[str] = field(default_factory=set)  # checkboxes and radio buttons

    def names(self) -> set[str]:
        return set(self.fields) | self.files | self.choices


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._option_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.add(name)
            elif kind in ("checkbox", "radio"):
                form.choices.add(name)
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
                elif kind == "radio":
                    form.fields.setdefault(name, [])
                    form.submit_names.setdefault(f"radio:{name}", a.get("value", "on"))
            elif kind in ("submit", "button", "image", "reset"):
                form.submit_names[name] = a.get("value", "")
            else:
                form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.submit_names[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []
        elif tag == "select" and name:
            self._select = name
            self._select_first = None
            self._select_chosen = False
            form.fields.setdefault(name, [])
        elif tag == "option" and self._select:
            self._option = a
            self._option_text = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._option is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag):
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and form is not None:
            form.fields.setdefault(self._textarea, []).append("".join(self._text).lstrip("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None and form is not None:
            value = self._option.get("value", "".join(self._option_text).strip())
            if self._select_first is None and value:
                self._select_first = value
            if "selected" in self._option:
                form.fields[self._select].append(value)
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select is not None and form is not None:
            if not self._select_chosen and self._select_first is not None:
                form.fields[self._select].append(self._select_first)
            self._select = None


def forms_on(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, page_url: str, having: set[str] | str) -> Form:
    """The first form of the page that has all the ``having`` fields."""
    wanted = {having} if isinstance(having, str) else set(having)
    for form in forms_on(html):
        if wanted <= form.names():
            form.action = urljoin(page_url, form.action or page_url)
            return form
    raise AssertionError(f"no form with fields {sorted(wanted)} on {page_url}")


def submit(
    client,
    page_url: str,
    values: dict[str, str | list[str]],
    *,
    having: set[str] | str | None = None,
    files: dict | None = None,
    button: str | None = None,
    **kwargs,
):
    """GET ``page_url``, fill its form (the one having ``having`` or every key of ``values``)
    with the page's own values overridden by ``values``, and submit it."""
    page = client.get(page_url)
    assert page.status_code == 200, f"GET {page_url}: {page.status_code}"
    form = find_form(page.get_data(as_text=True), page_url, having or set(values))
    data: dict[str, list | object] = {name: list(v) for name, v in form.fields.items() if v}
    for name, value in values.items():
        data[name] = value if isinstance(value, list) else [value]
    if button:
        data[button] = [form.submit_names.get(button, "")]
    for name, upload in (files or {}).items():
        data[name] = upload
    path = urlsplit(form.action)
    target = path.path + (f"?{path.query}" if path.query else "")
    if form.method == "post":
        return client.post(target, data=data, **kwargs)
    return client.get(target, query_string=data, **kwargs)
