from django.urls import path

from ratings import views

app_name = "ratings"
urlpatterns = [
    path("<slug:slug>/", views.welcome, name="welcome"),
    path("<slug:slug>/rate/", views.rate, name="rate"),
    path("<slug:slug>/done/", views.done, name="done"),
    path("<slug:slug>/media/<str:item>/", views.item_media, name="item_media"),
    path("<slug:slug>/media/<str:item>/<str:side>/", views.item_media, name="item_media"),
]
