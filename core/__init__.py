"""Shared code of the portal: app factory, config, models, catalogs, services, CLI."""
