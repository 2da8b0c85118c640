import os

from django.core.wsgi import get_wsgi_application

from config.memory import tune_garbage_collector

# gunicorn on Heroku serves this; production is the safe default.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# After start-up, so the objects frozen are the ones that live as long as the worker (config/memory.py).
tune_garbage_collector()
