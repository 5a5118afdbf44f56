from django.urls import path

from .views.account import account_tokens

urlpatterns = [path("tokens/", account_tokens, name="account-tokens")]
