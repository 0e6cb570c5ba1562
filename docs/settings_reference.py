"""Sphinx extension: the ``esi-settings`` directive renders ``esi.app_settings.SETTINGS``."""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList


class EsiSettingsDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from esi.app_settings import SETTINGS

        lines: list[str] = []
        group = None
        for s in SETTINGS:
            if s.group != group:
                group = s.group
                lines += [f".. rubric:: {group}", ""]
            lines += [f"``{s.name}``", f"   Default: ``{s.default!r}``", "", f"   {s.doc}", ""]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines), 0, node)
        return node.children


def setup(app):  # type: ignore[no-untyped-def]
    app.add_directive("esi-settings", EsiSettingsDirective)
    return {"parallel_read_safe": True}
