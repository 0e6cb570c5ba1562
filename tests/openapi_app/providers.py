"""The app's ESI client, as 10.x apps build it: once, at import."""

from esi.openapi_clients import ESIClientProvider

from . import __esi_compatibility_date__, __title__, __url__, __version__

esi = ESIClientProvider(
    compatibility_date=__esi_compatibility_date__,
    ua_appname=__title__,
    ua_version=__version__,
    ua_url=__url__,
    operations=[
        "GetCharactersCharacterId",
        "GetCharactersCharacterIdSkills",
        "GetMarketsRegionIdOrders",
        "GetStatus",
        "GetUniverseTypesTypeId",
    ],
)
