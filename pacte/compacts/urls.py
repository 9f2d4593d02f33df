app_name = "compacts"
urlpatterns: list = []
