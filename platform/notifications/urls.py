from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("read/", views.notification_read, name="notification-read"),
    path("<int:pk>/open/", views.notification_open, name="notification-open"),
    path("settings/", views.notification_preferences, name="notification-preferences"),
    path(
        "unsubscribe/<str:token>/", views.notification_unsubscribe, name="notification-unsubscribe"
    ),
]
