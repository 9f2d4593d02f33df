"""Routes of the compacts API under /api/v1/: flat resources, filtered with ``?compact=<id>``."""

from rest_framework.routers import DefaultRouter

from .api import views

app_name = "api"

router = DefaultRouter()
router.register("compacts", views.CompactViewSet, basename="compact")
viewset: type[views.ReadViewSet]
for prefix, viewset in [
    ("parties", views.PartyViewSet),
    ("participations", views.ParticipationViewSet),
    ("memberships", views.MembershipViewSet),
    ("signatories", views.SignatoryViewSet),
    ("objectives", views.ObjectiveViewSet),
    ("activities", views.ActivityViewSet),
    ("indicators", views.IndicatorViewSet),
    ("commitments", views.CommitmentViewSet),
    ("focal-points", views.FocalPointViewSet),
    ("focal-point-changes", views.FocalPointChangeViewSet),
    ("amendments", views.AmendmentViewSet),
    ("meetings", views.MeetingViewSet),
    ("communications", views.CommunicationViewSet),
    ("committee-members", views.CommitteeMemberViewSet),
    ("documents", views.DocumentViewSet),
]:
    # The basename is the model's name: DownloadFileField reverses "api:<model_name>-download".
    router.register(prefix, viewset, basename=viewset.model._meta.model_name)

urlpatterns = router.urls
