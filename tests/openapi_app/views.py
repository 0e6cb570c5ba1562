"""Views as 10.x apps write them: the token decorators, the OpenAPI client, pydantic attributes."""

import asyncio

from django.http import JsonResponse

from esi.decorators import token_required, tokens_required
from esi.exceptions import HTTPClientError

from .providers import esi

SKILLS = "esi-skills.read_skills.v1"


@tokens_required(scopes=SKILLS)
def skill_points(request, tokens):
    """Total skill points of each of the user's characters."""
    found = {}
    for token in tokens:
        try:
            skills = esi.client.Skills.GetCharactersCharacterIdSkills(
                character_id=token.character_id, token=token
            ).result(use_etag=False)
        except HTTPClientError as exc:
            found[token.character_id] = f"error {exc.status_code}"
        else:
            found[token.character_id] = skills.total_sp
    return JsonResponse(found)


@token_required(scopes=SKILLS)
def one_character(request, token):
    """The chosen character's name and skill points."""
    character = esi.client.Character.GetCharactersCharacterId(character_id=token.character_id).result(
        use_etag=False
    )
    skills = esi.client.Skills.GetCharactersCharacterIdSkills(
        character_id=token.character_id, token=token
    ).result(use_etag=False)
    return JsonResponse({"name": character.name, "total_sp": skills.total_sp})


async def dashboard(request):
    """Server status and a type's names in two languages, fetched concurrently."""
    client = await esi.client_async
    status, names = await asyncio.gather(
        client.Status.GetStatus().result(use_etag=False),
        client.Universe.GetUniverseTypesTypeId(type_id=587).results_localized(
            languages=["en", "de"], use_etag=False
        ),
    )
    return JsonResponse(
        {"players": status.players, "names": {lang: items[0].name for lang, items in names.items()}}
    )
