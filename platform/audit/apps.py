from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Benchmark definitions change through the admin, services and importers alike; one
        # receiver per model records every change in the audit log whatever the path.
        from . import definitions

        definitions.connect()
