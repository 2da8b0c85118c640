"""gunicorn, as the Procfile runs it (--logger-class config.gunicorn.RedactingLogger, which also loads this
module in the master before any worker forks):

* the access log without the secrets some URLs carry;
* no `Server` header. gunicorn always sends `Server: gunicorn` and has no setting for it; naming the
  software only helps someone matching it against known vulnerabilities."""

from gunicorn.glogging import Logger
from gunicorn.http import wsgi

from apps.core.redact import redact_secrets

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every text atom: the request line (%r), path (%U), query (%q), Referer (%f) and any header or
        # environ value a custom access_log_format may name.
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact_secrets(value) if isinstance(value, str) else value for name, value in atoms.items()}
