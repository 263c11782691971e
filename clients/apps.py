from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    # The section of the dashboard: "Caseload › Couples", not "Couples › Couples".
    verbose_name = "Caseload"
