"""gunicorn's sync worker answering its own protocol errors in branchflow's JSON error shape.

gunicorn refuses some requests before the app sees them (a request line over ``limit_request_line``,
malformed headers, …) and writes an HTML page for them. This worker lets gunicorn decide the status as it
always does, then sends the same status with the JSON body every other error of the API has.
"""
from __future__ import annotations

import json

from gunicorn.workers.sync import SyncWorker


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error: keeps the bytes, sends none."""

    def __init__(self):
        self.data = b""

    def gettimeout(self):
        return 0.0

    def setblocking(self, _flag):
        return None

    def sendall(self, data):
        self.data += data

    send = sendall


class JsonErrorWorker(SyncWorker):
    """``worker_class = "service.gunicorn_worker.JsonErrorWorker"`` (deploy/gunicorn.conf.py)."""

    def handle_error(self, req, client, addr, exc):
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1")  # "HTTP/1.1 400 Bad Request"
        parts = status_line.split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 500
        reason = parts[2] if len(parts) > 2 else "Error"
        message = str(exc) if status < 500 else "internal error; the request changed nothing"
        body = json.dumps({"error": {"code": reason.lower().replace(" ", "_"), "message": message,
                                     "errors": [{"field": "request", "message": message}] if status < 500 else []}},
                          ensure_ascii=False).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        try:
            client.sendall(head + body)
        except OSError:
            self.log.debug("Failed to send error message.")
