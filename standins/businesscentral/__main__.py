"""Serve the stand-in: `python -m standins.businesscentral [--port 8768]` (prints tenant, company and client)."""

from standins.businesscentral.server import BusinessCentralServer, make_server
from standins.http import standin_main


def banner(server: BusinessCentralServer) -> str:
    standin = server.standin
    return (
        f"Business Central stand-in at {standin.url}\n"
        f"  login URL:     {standin.url}  (token: /{standin.tenant}/oauth2/v2.0/token)\n"
        f"  API URL:       {standin.url}/v2.0\n"
        f"  tenant:        {standin.tenant}\n  environment:   {standin.environment}\n"
        f"  company id:    {standin.company_id}\n"
        f"  client id:     {standin.client_id}\n  client secret: {standin.client_secret}"
    )


if __name__ == "__main__":
    standin_main(description=__doc__, port=8768, make_server=make_server, banner=banner)
