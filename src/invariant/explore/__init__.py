"""``invariant explore``: design a pipeline in the browser and look at it on your own images.

A local web app (the standard library's HTTP server, one static page from this package, no CDN, no
telemetry): add, remove, reorder and toggle transforms with controls generated from each transform's
signature and declared ranges; see a grid of augmented samples with boxes, masks and keypoints drawn;
see ``iv.check`` violations for the chosen task; see what each step costs and which steps fused; export
YAML (``iv.load`` reads it) and the equivalent Python.
"""

from .server import ExploreServer, make_server

__all__ = ["ExploreServer", "make_server", "serve"]


def serve(server: ExploreServer) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
