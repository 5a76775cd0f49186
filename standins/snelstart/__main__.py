"""Serve the stand-in: `python -m standins.snelstart [--port 8767]` (prints its keys)."""

from standins.http import StandinServer, standin_main
from standins.snelstart.server import make_server


def banner(server: StandinServer) -> str:
    host, port = server.server_address[:2]
    standin = server.standin
    return (
        f"SnelStart stand-in at http://{host}:{port}\n"
        f"  token URL:        http://{host}:{port}/b2b/token\n"
        f"  API URL:          http://{host}:{port}/v2\n"
        f"  subscription key: {standin.subscription_key}\n"
        f"  client key:       {standin.client_key}"
    )


if __name__ == "__main__":
    standin_main(description=__doc__, port=8767, make_server=make_server, banner=banner)
