from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TherapyConfig(AppConfig):
    default = True
    name = "therapy"
    verbose_name = "Practice"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from therapy.middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="therapy.start_idle_clock")


class TherapyAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "therapy.admin_site.CounselorAdminSite"
