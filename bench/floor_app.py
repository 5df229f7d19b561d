"""The app gunicorn serves in the load test: the real ``wsgi.app`` plus one bare route.

``/bench/floor`` returns "ok" through the same app (its before/after-request hooks, security
headers, Flask-Login's anonymous user), with no template and no query: the framework floor
the portal pages are compared with. Only the benchmark loads this module.

``BENCH_TWEAKS`` (set by ``loadtest.py --tweak``) applies what-if monkeypatches, to measure a
proposed app change before it is made; see ``apply_web_tweaks`` in bench/common.py.
"""

import os

from bench.common import add_floor, apply_web_tweaks
from wsgi import app

add_floor(app)
apply_web_tweaks(app, [t for t in os.environ.get("BENCH_TWEAKS", "").split(",") if t])
