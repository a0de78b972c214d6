from django.urls import path

from summit.registration import views

app_name = "registration"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/done/", views.done, name="done"),
    path("signin/", views.signin, name="signin"),
    path("me/", views.me, name="me"),
    path("me/edit/", views.edit, name="edit"),
    path("me/switch/", views.switch, name="switch"),
    path("me/cancel/", views.cancel, name="cancel"),
    path("me/tokens/", views.my_tokens, name="my_tokens"),
    path("me/tokens/<int:pk>/revoke/", views.revoke_my_token, name="revoke_my_token"),
    path("participants/<int:pk>/press-card/", views.press_card, name="press_card"),
]
