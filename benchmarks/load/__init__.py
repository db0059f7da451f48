"""The HTTP load harness of `make bench` (issue 8): an open-loop generator and its scenarios.

- `http1.py`      a minimal keep-alive HTTP/1.1 client connection (cheap on CPU, so the generator is not the
                  bottleneck on a 2-core machine);
- `open_loop.py`  the open-loop generator: request i is due at t0 + i/rate and its latency counts from then;
- `baseline.py`   the bare ASGI app (constant JSON) served by uvicorn with the exchange's settings;
- `exchange.py`   the exchange's benchmark settings (limits lifted) and the marketplace set-up over HTTP;
- `scenarios.py`  what each scenario sends, and the rising-rate sweep;
- `__main__.py`   `python -m benchmarks.load`: runs the sweeps, prints the table, writes the results.
"""
