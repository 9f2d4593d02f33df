"""REST API of results (/api/v1/results/…): serializers in ``serializers``, viewsets in ``views``, routes
in ``pacte.results.api_urls``."""
