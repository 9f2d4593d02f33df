"""REST API of the compacts domain (/api/v1/): serializers in ``serializers``, viewsets in ``views``,
routes in ``pacte.compacts.api_urls``."""
