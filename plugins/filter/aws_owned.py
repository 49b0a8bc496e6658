# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: aws_owned
short_description: Whether an AWS object's tags make it a site's, by the collection's one ownership rule
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Returns V(true) when the tags carry C(prefect-ops:managed-by=prefect_ops.ecs) and C(prefect-ops:site) equal to
    O(site) (with O(site) unset - null - when they carry the managed-by tag and no site tag).
  - The rule is the modules' own (plugins/module_utils/ownership.py), for the roles that still call a stock module
    (the SSM parameter of C(prefect_api_secret)), so no role re-states it in Jinja.
options:
  _input:
    description: The object's tags, as a dictionary (an undefined or null value is no tags).
    type: dict
    required: true
  site:
    description: The site, for example the value of C(prefect_ecs_name).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Remove the parameter only when it is this site's
  community.aws.ssm_parameter:
    name: /prefect/prod/api-key
    state: absent
  when: found.parameter_metadata.tags | default({}) | prefect_ops.ecs.aws_owned(prefect_ecs_name)
"""

RETURN = r"""
_value:
  description: Whether the object is the site's.
  type: bool
"""

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ownership


def aws_owned(tags, site):
    return ownership.is_site_owned(dict(tags or {}), None if site is None else str(site))


def ownership_tags(site):
    """The tags that make an AWS object the site's (module_utils/ownership.py), for a stock module's ``tags``."""
    return ownership.site_ownership_tags(None if site is None else str(site))


def ownership_filters(site):
    """The same tags as EC2 describe filters (``tag:<key>: <value>``): only the site's objects are read."""
    return dict(("tag:%s" % k, v) for k, v in ownership_tags(site).items())


class FilterModule(object):
    def filters(self):
        return {"aws_owned": aws_owned, "ownership_tags": ownership_tags, "ownership_filters": ownership_filters}
