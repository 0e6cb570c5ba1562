"""FakeESIServer: any WSGI app on a loopback thread, with transport faults on the socket."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from werkzeug.wrappers import Request, Response

from esi_testing.fake import DropConnection, HoldConnection
from esi_testing.fake.server import FakeESIServer


@Request.application
def echo(request: Request) -> Response:
    if request.path == "/drop":
        raise DropConnection("asked to")
    if request.path == "/hold":
        raise HoldConnection(float(request.args.get("seconds", "30")))
    if request.path == "/boom":
        raise RuntimeError("a bug in the app")
    return Response(f"{request.method} {request.full_path} {request.get_data(as_text=True)}")


def test_serves_on_an_ephemeral_loopback_port_until_stopped() -> None:
    server = FakeESIServer(echo)
    with pytest.raises(RuntimeError, match="call start"):
        _ = server.url
    server.start()
    try:
        url = server.url
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        answer = requests.post(url + "/a/b?x=1", data="body", timeout=5)
        assert answer.text == "POST /a/b?x=1 body"
    finally:
        server.stop()
    assert not server.started
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/", timeout=1)


def test_start_and_stop_are_idempotent() -> None:
    server = FakeESIServer(echo)
    server.start()
    url = server.url
    server.start()
    assert server.url == url
    server.stop()
    server.stop()
    server.start()  # and it can start again
    try:
        assert requests.get(server.url + "/", timeout=5).status_code == 200
    finally:
        server.stop()


def test_context_manager_and_decorator() -> None:
    server = FakeESIServer(echo)
    with server as running:
        assert running is server and requests.get(server.url + "/", timeout=5).ok
    assert not server.started

    @server
    def call() -> int:
        return requests.get(server.url + "/", timeout=5).status_code

    assert call() == 200 and not server.started


def test_concurrent_requests_are_answered_in_parallel() -> None:
    slow_started = threading.Event()

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/slow":
            slow_started.set()
            time.sleep(0.5)
        return Response("ok")

    with FakeESIServer(app) as server:
        thread = threading.Thread(target=requests.get, args=(server.url + "/slow",), kwargs={"timeout": 5})
        thread.start()
        slow_started.wait(5)
        began = time.monotonic()
        assert requests.get(server.url + "/fast", timeout=5).text == "ok"
        assert time.monotonic() - began < 0.4  # not queued behind /slow
        thread.join()


def test_dropped_connection_is_a_connection_error_and_the_server_lives_on() -> None:
    with FakeESIServer(echo) as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/drop", timeout=5)
        assert requests.get(server.url + "/", timeout=5).ok


def test_held_connection_times_the_client_out() -> None:
    with FakeESIServer(echo) as server:
        with pytest.raises(requests.ReadTimeout):
            requests.get(server.url + "/hold?seconds=5", timeout=0.2)
        assert requests.get(server.url + "/", timeout=5).ok


def test_held_connection_drops_after_its_time() -> None:
    with FakeESIServer(echo) as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/hold?seconds=0.1", timeout=5)


def test_stop_cuts_a_hold_short() -> None:
    server = FakeESIServer(echo)
    server.start()
    errors: list[Exception] = []

    def call() -> None:
        try:
            requests.get(server.url + "/hold?seconds=30", timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.2)
    began = time.monotonic()
    server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - began < 5
    assert isinstance(errors[0], requests.ConnectionError)


def test_an_app_bug_is_a_500() -> None:
    with FakeESIServer(echo) as server:
        assert requests.get(server.url + "/boom", timeout=5).status_code == 500


def test_fixed_port_is_used() -> None:
    probe = FakeESIServer(echo)
    with probe:
        port = int(probe.url.rsplit(":", 1)[1])
    with FakeESIServer(echo, port=port) as server:
        assert server.url == f"http://127.0.0.1:{port}"


@Request.application
def peer(request: Request) -> Response:
    return Response(f"{request.environ['REMOTE_PORT']} {request.method} {request.path}")


def test_connections_are_kept_alive() -> None:
    with FakeESIServer(peer) as server, requests.Session() as session:
        ports = {session.get(f"{server.url}/{n}", timeout=5).text.split()[0] for n in range(5)}
        assert len(ports) == 1
        answer = session.get(server.url + "/", timeout=5)
        assert answer.headers.get("Connection") != "close"


def test_an_unread_request_body_does_not_leak_into_the_next_request() -> None:
    with FakeESIServer(peer) as server, requests.Session() as session:
        assert session.post(server.url + "/first", data=b"x" * 100_000, timeout=5).text.endswith(
            "POST /first"
        )
        assert session.get(server.url + "/second", timeout=5).text.endswith("GET /second")


def test_chunked_request_bodies_are_read_and_the_connection_closed() -> None:
    with FakeESIServer(echo) as server:
        answer = requests.post(server.url + "/c", data=iter([b"ab", b"cd"]), timeout=5)
        assert answer.text == "POST /c? abcd"
        assert answer.headers["Connection"] == "close"


def test_head_has_headers_and_no_body() -> None:
    with FakeESIServer(echo) as server:
        answer = requests.head(server.url + "/h", timeout=5)
        assert answer.status_code == 200 and answer.content == b""
        assert int(answer.headers["Content-Length"]) == len("HEAD /h? ")


def test_client_asking_to_close_gets_connection_close() -> None:
    with FakeESIServer(echo) as server:
        answer = requests.get(server.url + "/", headers={"Connection": "close"}, timeout=5)
        assert answer.headers["Connection"] == "close" and answer.ok


def test_a_stopped_server_answers_no_kept_alive_connection() -> None:
    server = FakeESIServer(peer)
    with requests.Session() as session:
        with server:
            assert session.get(server.url + "/", timeout=5).ok
            url = server.url
        with pytest.raises(requests.ConnectionError):
            session.get(url + "/", timeout=5)


def test_expect_100_continue_is_answered_before_the_body() -> None:
    import http.client

    with FakeESIServer(echo) as server:
        connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
        connection.putrequest("POST", "/upload")
        connection.putheader("Content-Length", "4")
        connection.putheader("Expect", "100-continue")
        connection.endheaders()
        assert connection.sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        connection.send(b"data")
        assert connection.getresponse().read() == b"POST /upload? data"
