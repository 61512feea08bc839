"""A webhook receiver for `make bench`: answers 204 to every POST and keeps,
per delivery, the time from the event's `occurred_at` to its arrival here.
GET /stats answers {"count", "first", "last", "p50_ms", "p99_ms"}."""
import json
import re
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
latencies = []
arrivals = []


def occurred(body):
    raw = json.loads(body)["occurred_at"]
    # Python reads at most microseconds; chrono may write nanoseconds.
    raw = re.sub(r"(\.\d{6})\d+", r"\1", raw).replace("Z", "+00:00")
    return datetime.fromisoformat(raw).timestamp()


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        now = time.time()
        try:
            lag = (now - occurred(body)) * 1000
        except (ValueError, KeyError):
            lag = None
        with lock:
            arrivals.append(now)
            if lag is not None:
                latencies.append(lag)
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        with lock:
            stats = {
                "count": len(arrivals),
                "first": min(arrivals) if arrivals else None,
                "last": max(arrivals) if arrivals else None,
                "p50_ms": percentile(latencies, 0.50),
                "p99_ms": percentile(latencies, 0.99),
            }
        body = json.dumps(stats).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
