import pytest
from django.test import override_settings

from esi.app_settings import SETTINGS, app_settings


def test_default_is_documented_value():
    assert app_settings.ESI_API_VERSION == "latest"
    assert app_settings.ESI_CONNECTION_POOL_MAXSIZE == 10


def test_read_lazily_so_override_settings_works():
    with override_settings(ESI_API_VERSION="v4"):
        assert app_settings.ESI_API_VERSION == "v4"
    assert app_settings.ESI_API_VERSION == "latest"


def test_unknown_name_raises_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="ESI_NOPE"):
        app_settings.ESI_NOPE  # noqa: B018


def test_every_setting_has_a_doc_and_a_unique_name():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.doc and s.name.startswith("ESI_") for s in SETTINGS)
