# The browser fixtures of the workspace's end-to-end tests, for the page-wide browser checks here.
from tests.review.browser import _orm_beside_playwright, browser, page  # noqa: F401
