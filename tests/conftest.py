pytest_plugins = ["tests.plugins.salesforce_sandbox"]
