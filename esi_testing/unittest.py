"""The fake ESI for ``manage.py test`` (unittest) users.

::

    from esi_testing.unittest import FakeESITestCase

    class CharacterViewTests(FakeESITestCase):
        fake_esi_options = {"snapshot": "latest"}

        def test_page(self):
            token = self.make_token(scopes=["esi-skills.read_skills.v1"])
            ...  # django-esi talks to self.fake_esi

:class:`FakeESIMixin` adds the same to any ``TestCase``. A :class:`~esi_testing.FakeESI`
is also a decorator and a context manager on its own.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, ClassVar

from django.test import TestCase

__all__ = ["FakeESIMixin", "FakeESITestCase"]


class FakeESIMixin:
    """Run a fake ESI + SSO for the test class; reset it before every test.

    ``fake_esi_options`` are FakeESI's keyword arguments. ``self.fake_esi`` is the
    fake, and django-esi's settings point at it for the whole class.
    """

    fake_esi_options: ClassVar[dict[str, Any]] = {}
    fake_esi: ClassVar[Any]
    _fake_esi_stack: ClassVar[ExitStack]

    @classmethod
    def setUpClass(cls) -> None:
        from esi_testing import FakeESI
        from esi_testing.factories import use_fake

        stack = ExitStack()
        cls.fake_esi = FakeESI(**cls.fake_esi_options)
        cls.fake_esi.start()
        stack.callback(cls.fake_esi.stop)
        stack.enter_context(use_fake(cls.fake_esi))
        stack.enter_context(cls.fake_esi.override_settings())
        cls._fake_esi_stack = stack
        # A class cleanup, not tearDownClass: Django undoes a class's @override_settings in a
        # class cleanup, after tearDownClass; cleanups run last-in first-out, so the fake's
        # settings, entered first, are undone last and nothing of them outlives the class.
        cls.addClassCleanup(stack.close)  # type: ignore[attr-defined]
        try:
            super().setUpClass()  # type: ignore[misc]
        except BaseException:
            stack.close()
            raise

    def setUp(self) -> None:
        from esi import sso
        from esi.http.store import clear_state

        self.fake_esi.reset()
        clear_state()  # no cached answer of an earlier test is served
        sso.clear_caches()
        super().setUp()  # type: ignore[misc]

    def make_token(self, **kwargs: Any) -> Any:
        """Return a token signed by the fake SSO (TokenFactory's arguments)."""
        from esi_testing.factories import TokenFactory

        return TokenFactory(**kwargs)


class FakeESITestCase(FakeESIMixin, TestCase):
    """A Django ``TestCase`` with a fake ESI + SSO (see :class:`FakeESIMixin`)."""
