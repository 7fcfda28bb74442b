from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo` and the demo data it builds. The top floor: it imports every app.
    Installed by the local and test settings only, so production never loads it."""

    name = "demo"
    verbose_name = "Demo data"
