"""gunicorn's access log without the secrets some URLs carry (Procfile: --logger-class)."""

from gunicorn.glogging import Logger

from apps.core.redact import redact_secrets


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every text atom: the request line (%r), path (%U), query (%q), Referer (%f) and any header or
        # environ value a custom access_log_format may name.
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact_secrets(value) if isinstance(value, str) else value for name, value in atoms.items()}
