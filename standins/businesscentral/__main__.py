"""Serve the stand-in: `python -m standins.businesscentral [--port 8768]` (prints tenant, company and client)."""

import argparse

from standins.businesscentral.server import make_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    standin = server.standin
    print(
        f"Business Central stand-in at {standin.url}\n"
        f"  login URL:     {standin.url}  (token: /{standin.tenant}/oauth2/v2.0/token)\n"
        f"  API URL:       {standin.url}/v2.0\n"
        f"  tenant:        {standin.tenant}\n  environment:   {standin.environment}\n"
        f"  company id:    {standin.company_id}\n"
        f"  client id:     {standin.client_id}\n  client secret: {standin.client_secret}"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
