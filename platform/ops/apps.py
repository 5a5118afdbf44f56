from django.apps import AppConfig

from lib.logs import install_record_factory


class OpsConfig(AppConfig):
    name = "ops"

    def ready(self) -> None:
        install_record_factory()
