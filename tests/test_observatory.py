"""The MDN HTTP Observatory's own scanner grades the site, run as in production, A+.

The site runs under gunicorn with the production variables (DEBUG off, DJANGO_HTTPS=1) on a
migrated SQLite database with the seed, serving HTTPS with a certificate from a throw-away
certificate authority that the scanner is told to trust (NODE_EXTRA_CA_CERTS).

Given "host:port", the scanner asks for both http://host:port/ and https://host:port/, the
same port: a small relay here answers both on one port, passing a connection that opens with
a TLS handshake to the HTTPS gunicorn and any other to a plain-HTTP one (where the site's own
SSL redirect sends the scanner to https), as a TLS-terminating proxy would.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import trustme
from django.conf import settings

SCANNER = settings.BASE_DIR / "node_modules" / "@mdn" / "mdn-http-observatory"
TLS_HANDSHAKE = 0x16  # the first byte a TLS client sends


def production_environment(tmp_path):
    """The documented production variables, for a site served by gunicorn itself over TLS."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    environ.update(
        DJANGO_SETTINGS_MODULE="archive.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(settings.BASE_DIR)]),
    )
    return environ


class Relay:
    """One port on 127.0.0.1 for both schemes: TLS to one unix socket, plain HTTP to another."""

    def __init__(self, tls_socket, plain_socket):
        self.targets = {True: str(tls_socket), False: str(plain_socket)}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        with client:
            first = client.recv(1, socket.MSG_PEEK)
            if not first:
                return
            with socket.socket(socket.AF_UNIX) as upstream:
                upstream.connect(self.targets[first[0] == TLS_HANDSHAKE])
                back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
                back.start()
                pipe(client, upstream)
                back.join(timeout=60)

    def close(self):
        self.listener.close()


def pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


# gunicorn imports Django and the site before it listens; on a busy two-core machine running
# two xdist workers that can take far longer than the usual second.
BOOT_TIMEOUT = 120


def wait_for(path, process):
    """Until gunicorn listens on the unix socket `path` (at most BOOT_TIMEOUT seconds)."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn stopped:\n{process.stderr.read()}"
        if path.exists():
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                    return
                except OSError:
                    pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen on {path}")


@pytest.fixture
def production_site(tmp_path):
    """The seeded site, with production settings, on 127.0.0.1:<port> over http and https."""
    environ = production_environment(tmp_path)
    # The settings as they are, but collected static files in the temporary folder.
    static_root = str(tmp_path / "static")
    (tmp_path / "observatory_settings.py").write_text(
        f"from archive.settings import *  # noqa: F403\nSTATIC_ROOT = {static_root!r}\n"
    )
    environ["DJANGO_SETTINGS_MODULE"] = "observatory_settings"
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for command in (
        ["migrate", "--no-input"],
        ["loaddata", "seed"],
        ["collectstatic", "--no-input"],
    ):
        subprocess.run(
            [*manage, *command, "-v", "0"], env=environ, check=True, timeout=300, cwd=tmp_path
        )

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certificate.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "site.pem"))
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))

    gunicorn = [str(settings.BASE_DIR / ".venv" / "bin" / "gunicorn")]
    if not os.path.exists(gunicorn[0]):
        gunicorn = [sys.executable, "-m", "gunicorn"]
    servers = []
    sockets = {}
    for name, tls in (("https", True), ("http", False)):
        sockets[name] = tmp_path / f"{name}.sock"
        arguments = [*gunicorn, "archive.wsgi", "--bind", f"unix:{sockets[name]}", "--workers", "1"]
        if tls:
            pem = str(tmp_path / "site.pem")
            arguments += ["--certfile", pem, "--keyfile", pem]
        # gunicorn 25.1+ opens a control socket in XDG_RUNTIME_DIR, else in ~/.gunicorn, a
        # path every gunicorn on the machine would share: each of these gets a folder of its own.
        runtime = tmp_path / f"{name}-run"
        runtime.mkdir()
        servers.append(
            subprocess.Popen(
                arguments,
                env={**environ, "XDG_RUNTIME_DIR": str(runtime)},
                cwd=tmp_path,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    relay = None
    try:
        for name, server in zip(("https", "http"), servers, strict=True):
            wait_for(sockets[name], server)
        relay = Relay(sockets["https"], sockets["http"])
        yield {"address": f"127.0.0.1:{relay.port}", "ca": tmp_path / "ca.pem"}
    finally:
        if relay:
            relay.close()
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def scan(site):
    """The scanner's JSON report on the site."""
    assert shutil.which("node"), "the scanner needs Node.js"
    assert (SCANNER / "conf" / "hsts-preload.json").exists(), (
        "@mdn/mdn-http-observatory is not installed with its conf file: run `make test-tools`"
    )
    result = subprocess.run(
        ["node", str(SCANNER / "src" / "scan.js"), site["address"]],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(site["ca"])},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def summary(report):
    lines = [f"grade {report['scan']['grade']}, score {report['scan']['score']}"]
    for name, test in report["tests"].items():
        lines.append(f"{name}: {test['result']} ({test['scoreModifier']:+d})")
    return "\n".join(lines)


@pytest.mark.observatory
def test_observatory_grades_the_production_site_a_plus(production_site):
    report = scan(production_site)
    print(summary(report))
    assert report["scan"]["grade"] == "A+", summary(report)
    assert report["scan"]["score"] >= 100, summary(report)
    failed = [name for name, test in report["tests"].items() if not test["pass"]]
    assert failed == [], summary(report)
