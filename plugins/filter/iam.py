# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters iam_not_allowed and iam_evaluate: offline IAM policy evaluation (plugins/module_utils/iam_policy.py).

Their documentation is in iam_not_allowed.yml and iam_evaluate.yml beside this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import (
    PolicyError,
    evaluate_requirements,
    not_allowed,
)


def _documents(documents):
    if isinstance(documents, (dict, str)):
        return [documents]
    if documents is None:
        return []
    return list(documents)


def iam_not_allowed(documents, requirements):
    """The requirements ({action, resource}) the policy documents do not allow."""
    try:
        return not_allowed(_documents(documents), list(requirements or []))
    except PolicyError as exc:
        raise AnsibleFilterError("iam_not_allowed: %s" % exc)


def iam_evaluate(documents, requirements):
    """Every requirement ({action, resource}) with the evaluation's decision, statements and conditions."""
    try:
        return evaluate_requirements(_documents(documents), list(requirements or []))
    except PolicyError as exc:
        raise AnsibleFilterError("iam_evaluate: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"iam_not_allowed": iam_not_allowed, "iam_evaluate": iam_evaluate}
