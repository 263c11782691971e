from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TherapyConfig(AppConfig):
    default = True
    name = "therapy"
    verbose_name = "Practice"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from therapy.middleware import start_idle_clock
        from therapy.sign_in_limits import count_failure

        user_logged_in.connect(start_idle_clock, dispatch_uid="therapy.start_idle_clock")
        user_login_failed.connect(count_failure, dispatch_uid="therapy.count_failure")


class TherapyAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "therapy.admin_site.CounselorAdminSite"
