"""`citemed serve`: uvicorn in front of create_app, one warm Engine per process."""

from __future__ import annotations

from citemed.settings import Settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    from citemed.web.app import create_app

    app = create_app(settings)
    # Warm the model, the indexes and the lay vocabulary before the first reader arrives.
    app.state.service.warm()
    print(f"CiteMed is serving {settings.library} at http://{host}:{port}/", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False,
                server_header=False, timeout_graceful_shutdown=5)
