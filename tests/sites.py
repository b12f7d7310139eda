"""A local web server that plays what the archive meets when it fetches the posts it cites:
pages and pictures, redirects (a chain, a loop), gone posts (404, 410), withheld (451),
blocked (403, 429 with Retry-After), a server error, a slow answer, a reset connection.
Nothing leaves the machine.

    with serving() as site:
        site.url("/ok")            # http://127.0.0.1:<port>/ok
        site.requests              # [(path, headers, time.monotonic())] in the order asked
"""

import contextlib
import io
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

PAGE = b"<!doctype html><title>A post</title><p>Applause from the balconies of Madrid.</p>"


def jpeg_with_location():
    """A small JPEG whose EXIF says where it was taken (GPS) and with which camera."""
    image = Image.new("RGB", (32, 24), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "Balcony Camera"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 46.0, 17.0), 3: "E", 4: (11.0, 15.0, 20.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64

ROUTES = {
    "/ok": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
    "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, None),  # filled in below
    "/clip.mp4": (200, {"Content-Type": "video/mp4"}, MP4),
    "/not-a-picture.jpg": (200, {"Content-Type": "image/jpeg"}, b"<html>an error page</html>"),
    "/chain-1": (301, {"Location": "/chain-2"}, b""),
    "/chain-2": (302, {"Location": "/chain-3"}, b""),
    "/chain-3": (301, {"Location": "/ok"}, b""),
    "/moved-away": (301, {"Location": "/gone-404"}, b""),
    "/loop-a": (302, {"Location": "/loop-b"}, b""),
    "/loop-b": (302, {"Location": "/loop-a"}, b""),
    "/gone-404": (404, {"Content-Type": "text/html"}, b"<p>This page doesn't exist</p>"),
    "/gone-410": (410, {"Content-Type": "text/html"}, b"<p>Gone</p>"),
    "/withheld-451": (451, {"Content-Type": "text/html"}, b"<p>Withheld in your country</p>"),
    "/blocked-403": (403, {"Content-Type": "text/html"}, b"<p>Forbidden</p>"),
    "/blocked-401": (401, {"WWW-Authenticate": 'Basic realm="x"'}, b""),
    "/busy-429": (429, {"Retry-After": "120"}, b"<p>Slow down</p>"),
    "/error-500": (500, {"Content-Type": "text/html"}, b"<p>Oops</p>"),
}
ROUTES["/photo.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_with_location())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers), time.monotonic()))
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(self.server.slow_seconds)
            return self.answer(200, {"Content-Type": "text/html"}, PAGE)
        if path == "/trickle":  # headers at once, then a byte now and then
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
            return None
        if path == "/reset":
            # Close with SO_LINGER 0: the client sees a reset, not an answer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return None
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (PAGE[:20], PAGE[20:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return None
        status, headers, body = ROUTES.get(path, (404, {}, b"not here"))
        return self.answer(status, headers, body)

    def answer(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # (the slow and trickling answers may still be going)

    def handle_error(self, request, client_address):
        pass  # a client that gave up on a slow answer is part of the play


class Site:
    def __init__(self, server):
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"

    def url(self, path):
        return self.base + path

    @property
    def requests(self):
        return self.server.requests


@contextlib.contextmanager
def serving(slow_seconds=3.0, wrap=None):
    server = Server(("127.0.0.1", 0), Handler)
    server.requests = []
    server.slow_seconds = slow_seconds
    if wrap is not None:
        server.socket = wrap(server.socket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(server)
    finally:
        server.shutdown()
        server.server_close()
