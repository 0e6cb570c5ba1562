"""The fake EVE SSO: OAuth2 code flow, JWTs, rotation, revocation, faults, metadata."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from requests_oauthlib import OAuth2Session
from werkzeug.test import Client

from esi_testing.fake import DropConnection, HoldConnection
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.sso import (
    BARE_ISSUER,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PUBLIC_CLIENT_ID,
    ISSUER,
    FakeSSO,
    OAuthError,
    mint_access_token,
    owner_hash_for,
    verify_access_token,
)
from esi_testing.fake.sso_app import SSOApp

SSO = "https://login.eveonline.com"
CALLBACK = "https://testserver/sso/callback/"
SCOPES = ["esi-skills.read_skills.v1", "esi-wallet.read_character_wallet.v1"]


@pytest.fixture
def sso() -> FakeSSO:
    return FakeSSO()


@pytest.fixture
def web(sso: FakeSSO):
    """The fake SSO intercepting https://login.eveonline.com for ``requests``."""
    with InProcessTransport({SSO: SSOApp(sso)}) as transport:
        yield transport


@pytest.fixture
def client(sso: FakeSSO) -> Client:
    return Client(SSOApp(sso))


def jwks_keys(url: str = SSO) -> dict[str, jwt.PyJWK]:
    document = requests.get(f"{url}/oauth/jwks", timeout=5).json()
    return {key.key_id: key for key in jwt.PyJWKSet.from_dict(document).keys}


def decode(access_token: str, client_id: str = DEFAULT_CLIENT_ID) -> dict:
    """Validate a JWT as django-esi does: JWKS fetched over HTTP, aud, iss, exp."""
    key = jwks_keys()[jwt.get_unverified_header(access_token)["kid"]]
    claims = jwt.decode(
        access_token, key.key, algorithms=["RS256"], audience="EVE Online", issuer=[ISSUER, BARE_ISSUER]
    )
    assert client_id in claims["aud"]
    return claims


def basic(client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET) -> tuple[str, str]:
    return (client_id, secret)


def code_from(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    return query["code"][0]


def authorize_url(**overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": " ".join(SCOPES),
        "state": "st4te",
        **overrides,
    }
    return requests.Request("GET", f"{SSO}/v2/oauth/authorize", params=params).prepare().url or ""


# --- metadata and keys -------------------------------------------------------------------


def test_metadata_points_at_the_base_url_it_is_served_at(client: Client) -> None:
    for base in ("https://login.eveonline.com", "http://127.0.0.1:8080"):
        doc = client.get("/.well-known/oauth-authorization-server", base_url=base).get_json()
        assert doc["issuer"] == ISSUER
        assert doc["authorization_endpoint"] == f"{base}/v2/oauth/authorize"
        assert doc["token_endpoint"] == f"{base}/v2/oauth/token"
        assert doc["jwks_uri"] == f"{base}/oauth/jwks"
        assert doc["revocation_endpoint"] == f"{base}/v2/oauth/revoke"
        assert doc["code_challenge_methods_supported"] == ["S256"]


def test_jwks_has_caching_headers_and_the_signing_key(client: Client, sso: FakeSSO) -> None:
    sso.jwks_max_age = 120
    response = client.get("/oauth/jwks")
    assert response.headers["Cache-Control"] == "public, max-age=120"
    (key,) = response.get_json()["keys"]
    assert (key["kid"], key["alg"], key["kty"], key["use"]) == ("JWT-Signature-Key", "RS256", "RSA", "sig")


def test_rotated_key_signs_new_tokens_and_jwks_lists_both(web, sso: FakeSSO) -> None:
    old = sso.issue_tokens(1, SCOPES)["access_token"]
    new_kid = sso.rotate_key()
    new = sso.issue_tokens(1, SCOPES)["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == new_kid != "JWT-Signature-Key"
    assert set(jwks_keys()) == {"JWT-Signature-Key", new_kid}
    decode(old), decode(new)
    sso.rotate_key(keep_old=False)
    with pytest.raises(KeyError):
        decode(old)


# --- the authorization-code flow ----------------------------------------------------------


def test_code_flow_with_client_secret_through_requests_oauthlib(web, sso: FakeSSO) -> None:
    sso.add_character(2112000001, "Ana Pilot")
    sso.set_consent(character_id=2112000001, auto=True)
    session = OAuth2Session(DEFAULT_CLIENT_ID, redirect_uri=CALLBACK, scope=SCOPES)
    url, state = session.authorization_url(f"{SSO}/v2/oauth/authorize")
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    assert location.startswith(CALLBACK) and parse_qs(urlsplit(location).query)["state"] == [state]

    tokens = session.fetch_token(
        f"{SSO}/v2/oauth/token", authorization_response=location, client_secret=DEFAULT_CLIENT_SECRET
    )
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1199
    claims = decode(tokens["access_token"])
    assert claims["sub"] == "CHARACTER:EVE:2112000001"
    assert claims["name"] == "Ana Pilot"
    assert claims["owner"] == owner_hash_for(2112000001)
    assert claims["scp"] == SCOPES
    assert claims["aud"] == [DEFAULT_CLIENT_ID, "EVE Online"]
    assert claims["azp"] == DEFAULT_CLIENT_ID
    assert (claims["tenant"], claims["region"], claims["kid"]) == (
        "tranquility",
        "world",
        "JWT-Signature-Key",
    )
    assert claims["exp"] - claims["iat"] == 1199
    assert abs(claims["iat"] - time.time()) < 5


def test_code_flow_with_pkce_for_a_public_client(web, sso: FakeSSO) -> None:
    session = OAuth2Session(DEFAULT_PUBLIC_CLIENT_ID, redirect_uri=CALLBACK, scope=SCOPES[:1], pkce="S256")
    url, _ = session.authorization_url(f"{SSO}/v2/oauth/authorize")
    assert "code_challenge_method=S256" in url
    location = requests.get(url + "&auto=1", allow_redirects=False, timeout=5).headers["Location"]
    tokens = session.fetch_token(
        f"{SSO}/v2/oauth/token", authorization_response=location, include_client_id=True
    )
    claims = decode(tokens["access_token"], DEFAULT_PUBLIC_CLIENT_ID)
    assert claims["scp"] == SCOPES[0]  # one scope: a string, as EVE sends it
    # a public client refreshes with its client_id alone
    refreshed = requests.post(
        f"{SSO}/v2/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": DEFAULT_PUBLIC_CLIENT_ID,
        },
        timeout=5,
    )
    assert refreshed.status_code == 200, refreshed.text


def test_pkce_verifier_is_checked(client: Client, sso: FakeSSO) -> None:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = sso.authorize(
        client_id=DEFAULT_PUBLIC_CLIENT_ID,
        redirect_uri=CALLBACK,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    wrong = client.post(
        "/v2/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": DEFAULT_PUBLIC_CLIENT_ID,
            "code_verifier": "x" * 50,
        },
    )
    assert (wrong.status_code, wrong.get_json()["error"]) == (400, "invalid_grant")
    code = sso.authorize(
        client_id=DEFAULT_PUBLIC_CLIENT_ID,
        redirect_uri=CALLBACK,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    right = client.post(
        "/v2/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": DEFAULT_PUBLIC_CLIENT_ID,
            "code_verifier": verifier,
        },
    )
    assert right.status_code == 200, right.text


def test_consent_page_lists_character_and_scopes_and_its_button_logs_in(client: Client, sso: FakeSSO) -> None:
    sso.add_character(2112000002, "Bea <Pilot>")
    sso.set_consent(character_id=2112000002)
    page = client.get(authorize_url().removeprefix(SSO))
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Bea &lt;Pilot&gt;" in text and 'value="2112000002" checked' in text
    assert all(scope in text for scope in SCOPES)
    assert '<button type="submit">Log in</button>' in text
    # submit the form as a browser does: its hidden fields plus the chosen character
    fields = dict(
        part.split('" value="')
        for part in text.replace('<input type="hidden" name="', "\x00").split("\x00")[1:]
    )
    form = {name: value.split('">')[0].replace("&amp;", "&") for name, value in fields.items()}
    answer = client.post(authorize_url().removeprefix(SSO), data={**form, "character_id": "2112000002"})
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.location).query)["state"] == ["st4te"]
    tokens = sso.exchange_code(
        code_from(answer.location), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    )
    assert verify_access_token(tokens["access_token"])["name"] == "Bea <Pilot>"


def test_consent_can_grant_other_scopes_than_asked(client: Client, sso: FakeSSO) -> None:
    sso.set_consent(scopes="esi-a.v1", auto=True)
    answer = client.get(authorize_url().removeprefix(SSO))
    tokens = sso.exchange_code(
        code_from(answer.location), client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    )
    assert sso.verify(tokens["access_token"])["scp"] == "esi-a.v1"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"client_id": "nobody"}, "invalid_client"),
        ({"state": ""}, "state is required"),
        ({"client_id": DEFAULT_PUBLIC_CLIENT_ID}, "must send a code_challenge"),
    ],
)
def test_authorize_refuses_bad_requests_with_an_error_page(
    client: Client, override: dict, message: str
) -> None:
    answer = client.get(authorize_url(**override).removeprefix(SSO))
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert message in answer.get_data(as_text=True)


def test_authorize_checks_registered_redirect_uris(client: Client, sso: FakeSSO) -> None:
    sso.add_client("strict-app", "s3cret", redirect_uris=[CALLBACK])
    assert client.get(authorize_url(client_id="strict-app").removeprefix(SSO)).status_code == 200
    wrong = client.get(
        authorize_url(client_id="strict-app", redirect_uri="https://evil.example/").removeprefix(SSO)
    )
    assert wrong.status_code == 400 and "is not registered" in wrong.get_data(as_text=True)


def test_code_is_single_use_and_bound_to_its_client(client: Client, sso: FakeSSO) -> None:
    sso.add_client("other-app", "other-secret")
    code = sso.authorize(client_id=DEFAULT_CLIENT_ID, redirect_uri=CALLBACK, scopes=SCOPES)
    stolen = client.post(
        "/v2/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        auth=basic("other-app", "other-secret"),
    )
    assert (stolen.status_code, stolen.get_json()["error"]) == (400, "invalid_grant")
    # the failed attempt used the code up, as a replayed code must not work twice
    again = client.post(
        "/v2/oauth/token", data={"grant_type": "authorization_code", "code": code}, auth=basic()
    )
    assert again.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("auth", "data", "status", "error"),
    [
        (("esi-fake-client", "wrong"), {}, 401, "invalid_client"),
        (("nobody", "x"), {}, 401, "invalid_client"),
        (None, {"client_id": DEFAULT_CLIENT_ID}, 401, "invalid_client"),  # no secret, no PKCE
        (
            None,
            {
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "grant_type": "password",
            },
            400,
            "unsupported_grant_type",
        ),
        (
            None,
            {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "grant_type": ""},
            400,
            "invalid_request",
        ),
    ],
)
def test_token_endpoint_errors_are_eves(client: Client, sso: FakeSSO, auth, data, status, error) -> None:
    code = sso.authorize(client_id=DEFAULT_CLIENT_ID, redirect_uri=CALLBACK)
    answer = client.post(
        "/v2/oauth/token", data={"grant_type": "authorization_code", "code": code, **data}, auth=auth
    )
    assert answer.status_code == status
    assert answer.get_json()["error"] == error and answer.get_json()["error_description"]


def test_token_endpoint_wants_a_form_body(client: Client) -> None:
    answer = client.post(
        "/v2/oauth/token", json={"grant_type": "refresh_token", "refresh_token": "x"}, auth=basic()
    )
    assert answer.status_code == 400 and "x-www-form-urlencoded" in answer.get_json()["error_description"]


# --- refresh, rotation, revocation ----------------------------------------------------


def refresh(client: Client, token: str, **extra: str):
    return client.post(
        "/v2/oauth/token", data={"grant_type": "refresh_token", "refresh_token": token, **extra}, auth=basic()
    )


def test_refresh_rotates_and_the_old_refresh_token_dies(client: Client, sso: FakeSSO) -> None:
    first = sso.issue_tokens(1001, SCOPES)
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    body = second.get_json()
    assert body["refresh_token"] != first["refresh_token"]
    assert sso.verify(body["access_token"])["scp"] == SCOPES
    dead = refresh(client, first["refresh_token"])
    assert (dead.status_code, dead.get_json()["error"]) == (400, "invalid_grant")
    assert refresh(client, body["refresh_token"]).status_code == 200
    assert len(sso.calls("token", grant_type="refresh_token")) == 3


def test_refresh_may_narrow_scopes_but_not_widen_them(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    narrowed = refresh(client, tokens["refresh_token"], scope=SCOPES[0]).get_json()
    assert sso.verify(narrowed["access_token"])["scp"] == SCOPES[0]
    wider = refresh(client, narrowed["refresh_token"], scope=" ".join(SCOPES))
    assert wider.get_json()["error"] == "invalid_scope"


def test_refresh_token_of_a_confidential_login_needs_the_secret(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    answer = client.post(
        "/v2/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
        },
    )
    assert (answer.status_code, answer.get_json()["error"]) == (401, "invalid_client")
    assert sso.is_live(tokens["refresh_token"])  # a refused call burns nothing


def test_revoke_kills_a_refresh_token(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    answer = client.post(
        "/v2/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=basic(),
    )
    assert (answer.status_code, answer.data) == (200, b"")
    assert refresh(client, tokens["refresh_token"]).get_json()["error"] == "invalid_grant"
    # revoking an unknown token is not an error (RFC 7009)
    assert client.post("/v2/oauth/revoke", data={"token": "unknown"}, auth=basic()).status_code == 200


def test_revoke_an_access_token_makes_verify_refuse_it(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    client.post(
        "/v2/oauth/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        auth=basic(),
    )
    with pytest.raises(jwt.InvalidTokenError, match="revoked"):
        sso.verify(tokens["access_token"])
    assert sso.is_live(tokens["refresh_token"])


def test_revoke_needs_client_authentication(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    answer = client.post(
        "/v2/oauth/revoke", data={"token": tokens["refresh_token"]}, auth=basic(secret="wrong")
    )
    assert answer.status_code == 401
    assert sso.is_live(tokens["refresh_token"])


def test_selling_a_character_changes_its_owner_hash_and_kills_its_grants(
    client: Client, sso: FakeSSO
) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    before = sso.verify(tokens["access_token"])["owner"]
    sold = sso.transfer_character(1001)
    assert sold.owner_hash != before
    assert refresh(client, tokens["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert sso.verify(sso.issue_tokens(1001, SCOPES)["access_token"])["owner"] == sold.owner_hash


# --- tokens issued directly ------------------------------------------------------------


def test_issue_tokens_options(sso: FakeSSO) -> None:
    one = sso.verify(sso.issue_tokens(7, ["a.v1"], scp_as_string=False)["access_token"])
    assert one["scp"] == ["a.v1"]
    many = sso.verify(sso.issue_tokens(7, ["a.v1", "b.v1"], scp_as_string=True)["access_token"])
    assert many["scp"] == "a.v1 b.v1"
    none = sso.verify(sso.issue_tokens(7, [])["access_token"])
    assert "scp" not in none
    tokens = sso.issue_tokens(7, "a.v1", expires_in=-60, owner_hash="sold-hash=")
    with pytest.raises(jwt.ExpiredSignatureError):
        sso.verify(tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["owner"] == "sold-hash="


def test_bare_issuer_is_configurable() -> None:
    sso = FakeSSO(issuer=BARE_ISSUER)
    assert sso.verify(sso.issue_tokens(7, "a.v1")["access_token"])["iss"] == BARE_ISSUER
    with pytest.raises(ValueError, match="issuer must be"):
        FakeSSO(issuer="https://evil.example")


def test_minted_tokens_verify_without_an_instance_and_forgeries_do_not() -> None:
    token = mint_access_token(42, ["a.v1"], name="Minted")
    assert verify_access_token(token, client_id=DEFAULT_CLIENT_ID)["name"] == "Minted"
    with pytest.raises(jwt.InvalidAudienceError):
        verify_access_token(token, client_id="someone-else")
    wrong_aud = mint_access_token(42, ["a.v1"], extra_claims={"aud": ["x"]})
    with pytest.raises(jwt.InvalidAudienceError):
        verify_access_token(wrong_aud)
    unknown_key = mint_access_token(42, ["a.v1"], key_generation=99)
    with pytest.raises(jwt.InvalidSignatureError, match="unknown key id"):
        verify_access_token(unknown_key)


# --- faults and journal -------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_status_faults_for_the_next_n_calls(client: Client, sso: FakeSSO, status: int) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    sso.inject_fault(status, times=2)
    assert [refresh(client, tokens["refresh_token"]).status_code for _ in range(2)] == [status, status]
    assert sso.is_live(tokens["refresh_token"])  # a failed call burns nothing
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    assert [c.status for c in sso.calls("token")] == [status, status, 200]


def test_invalid_grant_fault(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    sso.inject_fault("invalid_grant")
    assert refresh(client, tokens["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_fraction_fault_is_seeded_and_endpoint_bound(client: Client) -> None:
    def run() -> list[int]:
        sso = FakeSSO(seed=3)
        sso.inject_fault(503, endpoint="jwks", times=None, fraction=0.5)
        web = Client(SSOApp(sso))
        assert web.get("/.well-known/oauth-authorization-server").status_code == 200
        return [web.get("/oauth/jwks").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count(503) < 35 and set(first) == {200, 503}


def test_transport_faults_propagate_from_the_app(client: Client, sso: FakeSSO) -> None:
    sso.inject_fault("drop", endpoint=None)
    with pytest.raises(DropConnection):
        client.get("/oauth/jwks")
    sso.inject_fault("timeout", endpoint="jwks", seconds=1.5)
    with pytest.raises(HoldConnection) as held:
        client.get("/oauth/jwks")
    assert held.value.seconds == 1.5
    assert [c.status for c in sso.calls("jwks")] == ["drop", "timeout"]


def test_transport_faults_in_process(web, sso: FakeSSO) -> None:
    sso.inject_fault("drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{SSO}/v2/oauth/token", data={"grant_type": "refresh_token"}, timeout=5)
    sso.inject_fault("timeout")
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{SSO}/v2/oauth/token", data={"grant_type": "refresh_token"}, timeout=5)


def test_bad_fault_arguments_are_named(sso: FakeSSO) -> None:
    with pytest.raises(ValueError, match="fault kind"):
        sso.inject_fault(418)
    with pytest.raises(ValueError, match="endpoint"):
        sso.inject_fault(503, endpoint="tokens")
    with pytest.raises(ValueError, match="fraction"):
        sso.inject_fault(503, fraction=2)


def test_reset_forgets_tokens_faults_and_journal(client: Client, sso: FakeSSO) -> None:
    tokens = sso.issue_tokens(1001, SCOPES)
    sso.add_client("later-app", "x")
    sso.inject_fault(503)
    client.get("/oauth/jwks")
    sso.reset()
    assert not sso.is_live(tokens["refresh_token"])
    assert sso.journal == [] and sso.faults == [] and "later-app" not in sso.clients
    assert DEFAULT_CLIENT_ID in sso.clients


def test_oauth_error_body() -> None:
    error = OAuthError("invalid_grant", "gone")
    assert (error.body(), error.status) == ({"error": "invalid_grant", "error_description": "gone"}, 400)


def test_unknown_path_is_404_json(client: Client) -> None:
    answer = client.get("/v2/oauth/nothing")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
