pytest_plugins = ["tests.plugins.exact_standin"]
