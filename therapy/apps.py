from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TherapyConfig(AppConfig):
    default = True
    name = "therapy"
    verbose_name = "Practice"


class TherapyAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "therapy.admin_site.CounselorAdminSite"
