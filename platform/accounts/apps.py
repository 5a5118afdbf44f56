from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Teams"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.db.models.signals import post_delete, post_save

        from .backends import user_cache_forget

        # The signed-in user's cached row (accounts.backends) never outlives a change of it.
        post_save.connect(user_cache_forget, sender=User, dispatch_uid="user-cache-save")
        post_delete.connect(user_cache_forget, sender=User, dispatch_uid="user-cache-delete")
