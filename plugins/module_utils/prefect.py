# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prefect API layer of prefect_ops.ecs: one client, one argument spec, one module base class.

Transport is ansible's own module_utils.urls, never the Prefect SDK: importing the SDK costs about
1.3 s per module run and it is absent from minimal execution environments.

The client
- authenticates with an auth string (HTTP Basic, self-hosted servers with
  PREFECT_SERVER_API_AUTH_STRING) or an API key (Bearer, Prefect Cloud); like Prefect's own client
  it prefers the auth string when both are set;
- fetches a CSRF token when the server enforces CSRF protection;
- retries 429 (honouring Retry-After) and 5xx answers and connection errors with bounded
  exponential backoff;
- turns 401/403/404/409/422 into messages that say what to fix;
- pages through list endpoints.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import email.utils
import json
import re
import socket
import time
import uuid

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlsplit
from ansible.module_utils.urls import open_url

USER_AGENT = "prefect_ops.ecs (ansible module_utils.urls)"
DEFAULT_RETRIES = 4
DEFAULT_RETRY_DELAY = 1.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
PAGE_SIZE = 200  # the server's maximum page (PREFECT_API_DEFAULT_LIMIT)

# Prefect's own name rule (prefect.types.names): no / % & > <, not empty.
BANNED_NAME_CHARACTERS = "/%&><"
URL_HELP = (
    "a self-hosted server's API root ends in /api (http://HOST:4200/api); a Prefect Cloud workspace is "
    "https://api.prefect.cloud/api/accounts/ACCOUNT_ID/workspaces/WORKSPACE_ID"
)


def prefect_argument_spec():
    """The options every Prefect module shares (documented in the prefect_ops.ecs.prefect doc fragment)."""
    return dict(
        api_url=dict(type='str', fallback=(env_fallback, ['PREFECT_API_URL'])),
        api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['PREFECT_API_KEY'])),
        auth_string=dict(type='str', no_log=True, fallback=(env_fallback, ['PREFECT_API_AUTH_STRING'])),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='float', default=30.0),
        headers=dict(type='dict', default={}),
        csrf_protection=dict(type='str', default='auto', choices=['auto', 'enabled', 'disabled']),
        retries=dict(type='int', default=DEFAULT_RETRIES),
        retry_delay=dict(type='float', default=DEFAULT_RETRY_DELAY),
    )


class PrefectAPIError(Exception):
    """A Prefect API call that failed; `str()` is a message that says what to fix."""

    def __init__(self, msg, status=None, method=None, url=None, detail=None):
        super(PrefectAPIError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail

    def __str__(self):
        return self.msg


def validate_name(value, what, reserved_prefix=False):
    """Return an error message for a name Prefect would refuse, or None."""
    if value is None or not value.strip("' \""):
        return "%s must not be empty" % what
    bad = sorted(set(c for c in value if c in BANNED_NAME_CHARACTERS))
    if bad:
        return "%s %r contains %s, which Prefect does not allow in names (%s); choose a name without them" % (
            what, value, ", ".join(repr(c) for c in bad), " ".join(BANNED_NAME_CHARACTERS))
    if reserved_prefix and value.lower().startswith("prefect"):
        return ("%s %r starts with 'prefect', which Prefect reserves for its own work pools; choose another name"
                % (what, value))
    return None


def work_pool_problems(p, fields=None):
    """The work pool module's input checks (before any call); `fields` names the options (option -> label)."""
    from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_job_template import shape_error

    def name(option):
        return (fields or {}).get(option, option)
    errors = [validate_name(p.get('name'), name("name"), reserved_prefix=True)]
    kind = p.get('type')
    if kind is not None and (not str(kind).strip() or kind != str(kind).strip() or ' ' in str(kind)):
        errors.append("%s %r is not a worker type: give one word such as ecs, process, docker or kubernetes"
                      % (name("type"), kind))
    if p.get('concurrency_limit') is not None and p['concurrency_limit'] < -1:
        errors.append("%s must be 0 or more, or -1 to remove the limit (got %d)"
                      % (name("concurrency_limit"), p['concurrency_limit']))
    if p.get('base_job_template') is not None:
        errors.append(shape_error(p['base_job_template'], name("base_job_template")))
    for key in p.get('job_variables') or {}:
        if not isinstance(key, str) or not key:
            errors.append("%s keys must be variable names (got %r)" % (name("job_variables"), key))
    if p.get('recreate') and not kind:
        errors.append("recreate needs type: it says what type the pool is re-created with")
    return [e for e in errors if e]


def work_queue_problems(p, fields=None):
    """The work queue module's input checks (before any call); `fields` names the options (option -> label)."""
    def name(option):
        return (fields or {}).get(option, option)
    errors = [validate_name(p.get('name'), name("name")), validate_name(p.get('work_pool'), name("work_pool"))]
    if p.get('priority') is not None and p['priority'] < 1:
        errors.append("%s must be 1 (highest) or more (got %d)" % (name("priority"), p['priority']))
    if p.get('concurrency_limit') is not None and p['concurrency_limit'] < -1:
        errors.append("%s must be 0 or more, or -1 to remove the limit (got %d)"
                      % (name("concurrency_limit"), p['concurrency_limit']))
    return [e for e in errors if e]


def _format_validation_detail(body):
    """The server's 422 detail as readable lines: 'body.concurrency_limit: Input should be ...'."""
    items = []
    if isinstance(body, dict):
        items = body.get("exception_detail") or body.get("detail") or body.get("exception_message") or []
    if isinstance(items, (str, bytes)):
        return to_text(items)
    lines = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            loc = ".".join(to_text(p) for p in item.get("loc", []) if p != "body") or "request"
            lines.append("%s: %s" % (loc, item.get("msg", item)))
        else:
            lines.append(to_text(item))
    return "; ".join(lines) or json.dumps(body)


def _detail(body):
    if isinstance(body, dict):
        for key in ("detail", "exception_message", "message"):
            if body.get(key):
                return body[key] if isinstance(body[key], str) else json.dumps(body[key])
        return json.dumps(body)
    return to_text(body or "")[:500]


def _retry_after_seconds(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class PrefectClient(object):
    """A small, retrying JSON client for the Prefect REST API."""

    def __init__(self, api_url, api_key=None, auth_string=None, validate_certs=True, timeout=30.0,
                 headers=None, csrf_protection='auto', retries=DEFAULT_RETRIES, retry_delay=DEFAULT_RETRY_DELAY,
                 sleep=time.sleep, opener=open_url, warn=None):
        self.api_url = api_url.rstrip("/")
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_delay = max(0.0, float(retry_delay))
        self.csrf_protection = csrf_protection
        self._sleep = sleep
        self._open = opener
        self._warn = warn or (lambda msg: None)
        self._csrf_client = str(uuid.uuid4())
        self._csrf_token = None
        self.has_credentials = bool(auth_string or api_key)
        self.headers = {"Accept": "application/json", "Content-Type": "application/json"}
        for key, value in (headers or {}).items():
            self.headers[to_native(key)] = to_native(value)
        if auth_string:
            token = base64.b64encode(to_text(auth_string).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic " + token
        elif api_key:
            self.headers["Authorization"] = "Bearer " + to_native(api_key)
        self.calls = 0  # HTTP requests sent, retries included

    # -- public API -----------------------------------------------------------------------------
    @staticmethod
    def quote(name):
        return quote(to_native(name), safe="")

    def get(self, path, missing_ok=False):
        return self.request("GET", path, missing_ok=missing_ok)

    def post(self, path, payload=None, missing_ok=False):
        return self.request("POST", path, payload if payload is not None else {}, missing_ok=missing_ok)

    def patch(self, path, payload):
        return self.request("PATCH", path, payload)

    def delete(self, path, missing_ok=False):
        return self.request("DELETE", path, missing_ok=missing_ok)

    def paginate(self, path, payload=None, page_size=PAGE_SIZE):
        """Every item of a POST .../filter endpoint, following offset/limit pages."""
        items, offset = [], 0
        while True:
            body = dict(payload or {})
            body.update(limit=page_size, offset=offset)
            page = self.post(path, body) or []
            items.extend(page)
            if len(page) < page_size:
                return items
            offset += page_size

    def request(self, method, path, payload=None, missing_ok=False, query=None):
        """Send one API call (with retries). Returns the decoded JSON body, or None for 204 (or 404
        when `missing_ok`). Raises PrefectAPIError with an actionable message otherwise."""
        url = self.api_url + "/" + path.lstrip("/")
        if query:
            url += "?" + urlencode(query)
        mutating = method in ("POST", "PUT", "PATCH", "DELETE")
        if mutating and self.csrf_protection == 'enabled' and self._csrf_token is None:
            self._fetch_csrf_token()
        csrf_retried = False
        while True:
            status, headers, body = self._send_with_retries(method, url, payload)
            if (status == 403 and mutating and not csrf_retried and self.csrf_protection != 'disabled'
                    and "csrf" in _detail(body).lower()):
                # The server enforces CSRF protection (PREFECT_SERVER_CSRF_PROTECTION_ENABLED): get a
                # token for this client once, then send the call again.
                self._fetch_csrf_token()
                csrf_retried = True
                continue
            break
        if status == 404 and missing_ok and not self._is_missing_route(body):
            return None
        if status >= 400:
            raise self._error(method, url, status, body)
        return body

    # -- internals ------------------------------------------------------------------------------
    def _fetch_csrf_token(self):
        url = "%s/csrf-token?%s" % (self.api_url, urlencode({"client": self._csrf_client}))
        status, headers, body = self._send_with_retries("GET", url, None)
        if status == 422 and "disabled" in _detail(body).lower():
            self._csrf_token = ""  # the server does not enforce CSRF protection
            return
        if status >= 400 or not isinstance(body, dict) or not body.get("token"):
            raise self._error("GET", url, status, body, what="fetching a CSRF token")
        self._csrf_token = body["token"]

    def _request_headers(self):
        headers = dict(self.headers)
        if self._csrf_token:
            headers["Prefect-Csrf-Token"] = self._csrf_token
            headers["Prefect-Csrf-Client"] = self._csrf_client
        return headers

    def _backoff(self, attempt):
        return min(MAX_BACKOFF, self.retry_delay * (2 ** attempt))

    def _send_with_retries(self, method, url, payload):
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        attempt = 0
        while True:
            try:
                status, headers, body = self._send_once(method, url, data)
            except (URLError, socket.timeout, socket.error, ConnectionError) as exc:
                reason = to_text(getattr(exc, "reason", exc))
                if attempt >= self.retries:
                    raise PrefectAPIError(
                        "Prefect API %s unreachable for %s %s after %d attempt(s): %s. Check that api_url is right "
                        "(%s) and that the server is up and reachable from this host."
                        % (self.api_url, method, self._path(url), attempt + 1, reason, URL_HELP),
                        method=method, url=url)
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status not in RETRY_STATUSES or attempt >= self.retries:
                return status, headers, body
            delay = self._backoff(attempt)
            if status == 429:
                retry_after = _retry_after_seconds(headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > MAX_RETRY_AFTER:
                        self._warn("Prefect API asked to retry after %.0f s; waiting %.0f s instead"
                                   % (retry_after, MAX_RETRY_AFTER))
                    delay = min(retry_after, MAX_RETRY_AFTER)
            self._sleep(delay)
            attempt += 1

    def _send_once(self, method, url, data):
        self.calls += 1
        try:
            resp = self._open(url, data=data, headers=self._request_headers(), method=method,
                              timeout=self.timeout, validate_certs=self.validate_certs,
                              http_agent=USER_AGENT, follow_redirects='safe',
                              use_netrc=False)  # a ~/.netrc entry must not replace our Authorization
            status = resp.getcode() if hasattr(resp, "getcode") else resp.status
            headers = dict((k.title(), v) for k, v in resp.headers.items()) if resp.headers else {}
            raw = resp.read()
        except HTTPError as exc:
            status = exc.code
            headers = dict((k.title(), v) for k, v in exc.headers.items()) if exc.headers else {}
            try:
                raw = exc.read()
            except Exception:  # pylint: disable=broad-except
                raw = b""
        return status, headers, self._decode(url, status, headers, raw)

    def _decode(self, url, status, headers, raw):
        if not raw:
            return None
        ctype = headers.get("Content-Type", "")
        text = to_text(raw, errors="surrogate_or_replace")
        if "html" in ctype or text.lstrip().lower().startswith(("<!doctype html", "<html")):
            if status < 400:
                raise PrefectAPIError(
                    "api_url %s answered %s with an HTML page, not the Prefect API: it points at the UI or another "
                    "site. Fix api_url: %s." % (self.api_url, self._path(url), URL_HELP), status=status, url=url)
            return text[:300]
        try:
            return json.loads(text)
        except ValueError:
            return text[:500]

    def _path(self, url):
        return urlsplit(url).path

    @staticmethod
    def _is_missing_route(body):
        """A 404 for an unknown route (wrong api_url), not for a missing object."""
        return _detail(body) in ("Not Found", "")

    def _error(self, method, url, status, body, what=None):
        call = "%s %s" % (method, self._path(url))
        if what:
            call = "%s (%s)" % (call, what)
        detail = _detail(body)
        if status == 401:
            if self.has_credentials:
                fix = ("the credentials were rejected: check auth_string ('USER:PASSWORD', env PREFECT_API_AUTH_STRING) "
                       "for a self-hosted server, or api_key (env PREFECT_API_KEY) for Prefect Cloud, and that they "
                       "belong to this api_url")
            else:
                fix = ("no credentials were given: set auth_string (env PREFECT_API_AUTH_STRING) for a self-hosted "
                       "server with authentication, or api_key (env PREFECT_API_KEY) for Prefect Cloud")
            msg = "Prefect API %s: 401 Unauthorized for %s; %s." % (self.api_url, call, fix)
        elif status == 403:
            msg = ("Prefect API %s: 403 Forbidden for %s: %s. The credentials are valid but not allowed to do this: "
                   "check the API key's workspace role, the server's CSRF settings (csrf_protection) and reserved "
                   "names." % (self.api_url, call, detail))
        elif status == 404:
            if self._is_missing_route(body):
                msg = ("Prefect API %s has no route %s (404 Not Found): api_url is probably wrong; %s."
                       % (self.api_url, call, URL_HELP))
            else:
                msg = "Prefect API %s: %s for %s (404)." % (self.api_url, detail, call)
        elif status == 409:
            msg = "Prefect API %s: conflict for %s (409): %s" % (self.api_url, call, detail)
        elif status == 422:
            msg = ("Prefect API %s refused %s (422 validation error): %s. Fix the option named above."
                   % (self.api_url, call, _format_validation_detail(body)))
        elif status in RETRY_STATUSES:
            msg = ("Prefect API %s answered %d for %s: %s. Retried %d time(s) with backoff; raise retries/"
                   "retry_delay or try again once the server is healthy."
                   % (self.api_url, status, call, detail, self.retries))
        else:
            msg = "Prefect API %s answered %d for %s: %s" % (self.api_url, status, call, detail)
        return PrefectAPIError(msg, status=status, method=method, url=url, detail=body)


def strip_server_fields(obj, fields=("created", "updated")):
    return dict((k, v) for k, v in obj.items() if k not in fields)


class PrefectModule(object):
    """Base class of every Prefect module: shared options, the client, failure and result helpers.

    Subclasses set `argument_spec` (their own options) and implement `run()`, which returns the result
    dict (with `changed`). API errors become a failed task whose message says what to fix.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self, client=None):
        spec = prefect_argument_spec()
        spec.update(self.argument_spec)
        kwargs = dict(self.module_kwargs)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = self.build_client()
        return self._client

    def build_client(self):
        params = self.params
        url = (params.get("api_url") or "").strip()
        if not url:
            self.fail("api_url is not set: give api_url (or set PREFECT_API_URL); %s." % URL_HELP)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail("api_url %r is not an http(s) URL; %s." % (url, URL_HELP))
        if parts.netloc.startswith("app.prefect.cloud"):
            self.fail("api_url %r is the Prefect Cloud UI address, not its API; %s." % (url, URL_HELP))
        if parts.netloc.startswith("api.prefect.cloud") and not re.search(r"/accounts/[^/]+/workspaces/[^/]+", parts.path):
            self.fail("api_url %r does not name a Prefect Cloud workspace; %s." % (url, URL_HELP))
        if params["retries"] < 0 or params["retries"] > 20:
            self.fail("retries must be between 0 and 20 (got %s)" % params["retries"])
        if params["retry_delay"] < 0 or params["retry_delay"] > MAX_BACKOFF:
            self.fail("retry_delay must be between 0 and %.0f seconds (got %s)" % (MAX_BACKOFF, params["retry_delay"]))
        if params["timeout"] <= 0:
            self.fail("timeout must be a positive number of seconds (got %s)" % params["timeout"])
        for key in params.get("headers") or {}:
            if key.lower() in ("authorization", "prefect-csrf-token", "prefect-csrf-client"):
                self.fail("headers must not set %r: use api_key or auth_string for credentials; CSRF tokens are "
                          "handled by csrf_protection" % key)
        return PrefectClient(
            url, api_key=params.get("api_key"), auth_string=params.get("auth_string"),
            validate_certs=params["validate_certs"], timeout=params["timeout"], headers=params.get("headers"),
            csrf_protection=params["csrf_protection"], retries=params["retries"],
            retry_delay=params["retry_delay"], warn=self.module.warn)

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def warn(self, msg):
        self.module.warn(msg)

    def run(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def execute(self):
        try:
            result = self.run()
        except PrefectAPIError as exc:
            self.fail(str(exc), status=exc.status)
            return
        if not self.diff_mode:
            result.pop("diff", None)
        self.module.exit_json(**result)
