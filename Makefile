PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

.PHONY: screenshots
# Demo data in a temporary database, the app and the Salesforce sandbox on free ports, Chromium writes
# docs/screenshots/*.png (see docs/workspace.md).
screenshots:
	$(PYTHON) manage.py take_screenshots
