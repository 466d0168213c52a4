from django.urls import path
from polls import views

urlpatterns = [path("polls/<int:number>/", views.detail)]
