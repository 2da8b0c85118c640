import gc
import os

from django.core.wsgi import get_wsgi_application

# gunicorn on Heroku serves this; production is the safe default.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# A full garbage collection walks every live object, and after start-up most of them (modules, settings, URL
# patterns) live as long as the process. Freezing them, and collecting the young generation less often, keeps the
# pauses out of the pages that build many short-lived objects (the Positions table, the dashboard): bench/pages.py.
gc.freeze()
gc.set_threshold(20_000, 10, 10)
