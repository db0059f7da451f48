"""Dependable Call Exchange shared package: domain, services, adapters and API glue."""
