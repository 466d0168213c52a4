from django.http import HttpResponse


def detail(request, number):
    return HttpResponse(f"poll {number}")
