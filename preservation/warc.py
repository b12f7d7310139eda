"""A fetch as a WARC file (ISO 28500), written with warcio.

One gzipped WARC per capture: a `warcinfo` record (the software, the command, the operator),
then a `request` and a `response` record for each hop, redirects included, so the file shows
how the archive reached what it kept. The response's body is the bytes as they came (still
compressed if the server compressed them, as the headers say). httpx has already undone
chunked transfer coding, so a `Transfer-Encoding` header is kept under the name
`X-Archive-Orig-Transfer-Encoding`, as pywb and ReplayWeb.page expect; a body cut at the size
limit carries `WARC-Truncated: length`.
"""

import io
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .fetch import SOFTWARE

MEDIA_TYPE = "application/warc"


def warc_of(outcome, command, operator=""):
    """The gzipped WARC bytes of `outcome`'s hops."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    date = outcome.asked_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"software": SOFTWARE, "format": "WARC File Format 1.1", "description": command}
    if operator:
        info["operator"] = operator
    writer.write_record(writer.create_warcinfo_record("capture.warc.gz", info))
    for hop in outcome.hops:
        target = hop.url
        parts = urlsplit(target)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = StatusAndHeaders(
            f"GET {path} HTTP/1.1", hop.request_headers, is_http_request=True
        )
        request = writer.create_warc_record(
            target,
            "request",
            http_headers=request_headers,
            warc_headers_dict={"WARC-Date": date},
        )
        headers = [
            ("X-Archive-Orig-Transfer-Encoding", value)
            if name.lower() == "transfer-encoding"
            else (name, value)
            for name, value in hop.headers
        ]
        protocol = {"HTTP/1.0": "HTTP/1.0"}.get(hop.http_version, "HTTP/1.1")
        response_headers = StatusAndHeaders(
            f"{hop.status} {hop.reason}", headers, protocol=protocol
        )
        warc_headers = {"WARC-Date": date}
        if hop.truncated:
            warc_headers["WARC-Truncated"] = "length"
        response = writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(hop.body),
            length=len(hop.body),
            http_headers=response_headers,
            warc_headers_dict=warc_headers,
        )
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        writer.write_record(request)
        writer.write_record(response)
    return out.getvalue()
