"""How Leadflow drives Debian's Chromium with Playwright (screenshots and browser tests): never a downloaded
browser, and no background traffic, which this machine's closed network would refuse."""

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
