from django.urls import path

from studies import views

app_name = "studies"
urlpatterns = [
    path("media/<str:token>/", views.sample_media, name="sample_media"),
]
