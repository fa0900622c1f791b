# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A map tile server on loopback, for the browser tests: the app's map
loads its tiles from the operator's configured server (`[ev_portal_pwa]
tile_url`), and tests reach nothing beyond this machine"""
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .harness import free_port


def png(width=256, height=256, rgb=(0xe8, 0xe4, 0xd8)):
    "Return a PNG image of one colour"
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    row = b'\x00' + bytes(rgb) * width
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0,
                0))
        + chunk(b'IDAT', zlib.compress(row * height, 9))
        + chunk(b'IEND', b''))


class TileServer:
    "Serves the same tile for every /z/x/y.png and counts the requests"

    def __init__(self):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%s/{z}/{x}/{y}.png' % self.port
        self.requests = []
        tile = png()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                parts = self.path.strip('/').split('/')
                if len(parts) != 3 or not parts[2].endswith('.png'):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'image/png')
                self.send_header('Content-Length', str(len(tile)))
                self.send_header('Cache-Control', 'max-age=3600')
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
