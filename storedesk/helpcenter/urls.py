"""The public help center, mounted at ``/help/``: ``<store>`` is the store's slug and
``<locale>`` one of the store's locales."""

from django.urls import path

from storedesk.helpcenter import public_views as views

app_name = "helpcenter"

urlpatterns = [
    path("<slug:store>/", views.store_root, name="root"),
    path("<slug:store>/sitemap.xml", views.sitemap, name="sitemap"),
    path("<slug:store>/suggest", views.suggest, name="suggest"),
    path("<slug:store>/suggest/<int:search_id>/click", views.suggest_click, name="suggest-click"),
    path(
        "<slug:store>/r/<int:search_id>/<int:article_id>/",
        views.search_click,
        name="search-click",
    ),
    path("<slug:store>/<str:locale>/", views.home, name="home"),
    path("<slug:store>/<str:locale>/search", views.search, name="search"),
    path("<slug:store>/<str:locale>/c/<slug:category>/", views.category, name="category"),
    path("<slug:store>/<str:locale>/a/<slug:slug>/", views.article, name="article"),
    path("<slug:store>/<str:locale>/a/<slug:slug>/feedback", views.feedback, name="feedback"),
]
