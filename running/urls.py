# The clinician's pages (under the site root).
urlpatterns: list = []

# The runner's pages, under the patient portal's link ("portal/<token>/...").
portal_urlpatterns: list = []
