"""One construct per concern. Import it as `infra.constructs`: the bare name is the `constructs` library,
which is why `infra/` itself must never be on sys.path (see infra/app.py)."""
