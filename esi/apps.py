from django.apps import AppConfig


class EsiConfig(AppConfig):
    name = "esi"
    verbose_name = "EVE Swagger Interface"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .debug import install_log_filter

        install_log_filter()  # oauthlib logs codes and tokens at DEBUG
