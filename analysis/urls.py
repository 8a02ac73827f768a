app_name = "analysis"
urlpatterns: list = [
    # Results pages and downloads for a study's researcher.
]
