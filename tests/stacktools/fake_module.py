"""A stand-in for AnsibleAWSModule in unit tests of our module_utils: params, check mode, diff on,
fail_json raising AssertionError with the message, warnings collected."""
from __future__ import annotations


class FakeModule:
    def __init__(self, p, check_mode=False):
        self.params = p
        self.check_mode = check_mode
        self._diff = True
        self.region = "us-east-1"
        self.warnings = []

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs["msg"])

    def warn(self, msg):
        self.warnings.append(msg)
