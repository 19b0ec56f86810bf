from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("invite/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="password_set"),
    path("invite/done/", views.InvitationDoneView.as_view(), name="password_set_done"),
]
