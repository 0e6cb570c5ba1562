"""Record and replay with secrets scrubbed (esi_testing.recording)."""

from __future__ import annotations

import json
import threading
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from esi_testing.recording import (
    REPLAY_KEY_ID,
    CassetteNotFound,
    replay_jwks,
    use_cassette,
    vcr_config,
)

LIVE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLAIMS = {
    "sub": "CHARACTER:EVE:90000001",
    "name": "Test Pilot",
    "owner": "owner-hash",
    "scp": ["esi-skills.read_skills.v1"],
    "aud": ["client-id", "EVE Online"],
    "iss": "https://login.eveonline.com",
}


class LiveStandIn:
    """A loopback server answering like SSO and ESI, with real secrets in its traffic."""

    def __init__(self) -> None:
        self.access_token = jwt.encode(
            {**CLAIMS, "exp": int(time.time()) + 1200}, LIVE_KEY, algorithm="RS256", headers={"kid": "live"}
        )
        self.refresh_token = "real-refresh-token-Zm9vYmFy"
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request: Request) -> Response:
        if request.path == "/v2/oauth/token":
            body = {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": 1199,
                "token_type": "Bearer",
            }
            return Response(
                json.dumps(body), content_type="application/json", headers={"Set-Cookie": "sid=1"}
            )
        if request.path == "/oauth/jwks":
            from jwt.algorithms import RSAAlgorithm

            jwk = json.loads(RSAAlgorithm.to_jwk(LIVE_KEY.public_key()))
            return Response(json.dumps({"keys": [{**jwk, "kid": "live"}]}), content_type="application/json")
        if request.path == "/latest/characters/90000001/skills/":
            assert request.headers["Authorization"] == f"Bearer {self.access_token}"
            return Response(json.dumps({"total_sp": 5000000, "skills": []}), content_type="application/json")
        return Response("{}", status=404)

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live():
    server = LiveStandIn()
    yield server
    server.close()


def _session_traffic(base: str, access_token: str | None = None) -> dict:
    token = requests.post(
        f"{base}/v2/oauth/token",
        data={"grant_type": "authorization_code", "code": "real-code-123", "code_verifier": "real-verifier"},
        auth=("client-id", "real-client-secret"),
        timeout=5,
    ).json()
    jwks = requests.get(f"{base}/oauth/jwks", timeout=5).json()
    skills = requests.get(
        f"{base}/latest/characters/90000001/skills/?datasource=tranquility&token=real-query-token",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    ).json()
    return {"token": token, "jwks": jwks, "skills": skills}


def test_recording_scrubs_every_secret_and_replay_validates(live, tmp_path):
    cassette = tmp_path / "sso.yaml"
    with use_cassette(cassette, record_mode="once"):
        recorded = _session_traffic(live.url)
    text = cassette.read_text()
    secrets = [
        live.access_token,
        live.refresh_token,
        "real-code-123",
        "real-verifier",
        "real-client-secret",
        "real-query-token",
        "sid=1",
        # HTTP Basic auth carries the client secret base64-encoded
        "Y2xpZW50LWlkOnJlYWwtY2xpZW50LXNlY3JldA==",
    ]
    for secret in secrets:
        assert secret not in text, f"{secret[:20]}... leaked into the cassette"
    assert recorded["skills"] == {"total_sp": 5000000, "skills": []}

    live.close()  # replay must not need the server
    with use_cassette(cassette):
        replayed = _session_traffic(live.url)
    assert replayed["skills"] == recorded["skills"]
    assert replayed["token"]["refresh_token"] == "<SCRUBBED:refresh_token>"
    assert replayed["jwks"] == replay_jwks()
    # the replayed access token validates against the replayed JWKS, claims intact
    key = jwt.PyJWK(replayed["jwks"]["keys"][0])
    header = jwt.get_unverified_header(replayed["token"]["access_token"])
    assert header["kid"] == REPLAY_KEY_ID
    claims = jwt.decode(
        replayed["token"]["access_token"], key.key, algorithms=["RS256"], audience="EVE Online"
    )
    assert {k: claims[k] for k in CLAIMS} == CLAIMS


def test_missing_cassette_fails_with_how_to_record(tmp_path):
    with pytest.raises(CassetteNotFound, match="--esi-record-mode=once"):
        with use_cassette(tmp_path / "nope.yaml"):
            pass


def test_unmatched_request_on_replay_is_refused_not_sent(live, tmp_path):
    import vcr.errors

    cassette = tmp_path / "one.yaml"
    with use_cassette(cassette, record_mode="once"):
        requests.get(f"{live.url}/oauth/jwks", timeout=5)
    with use_cassette(cassette), pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
        requests.get(f"{live.url}/latest/status/", timeout=5)


def test_record_mode_is_checked():
    assert vcr_config()["record_mode"] == "none"
    with pytest.raises(ValueError, match="record_mode must be one of"):
        vcr_config(record_mode="sometimes")
