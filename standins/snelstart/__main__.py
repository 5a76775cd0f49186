"""Serve the stand-in: `python -m standins.snelstart [--port 8767]` (prints its keys)."""

import argparse

from standins.snelstart.server import make_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    standin = server.standin
    print(
        f"SnelStart stand-in at http://{args.host}:{args.port}\n"
        f"  token URL:        http://{args.host}:{args.port}/b2b/token\n"
        f"  API URL:          http://{args.host}:{args.port}/v2\n"
        f"  subscription key: {standin.subscription_key}\n"
        f"  client key:       {standin.client_key}"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
