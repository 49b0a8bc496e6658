# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The site option of the ECS modules that take the site from their tags when it is not set (ecs_cluster,
    # ecs_service, ecs_task_definition): the ownership rule of plugins/module_utils/ownership.py.
    DOCUMENTATION = r"""
options:
  site:
    description:
      - The site the object belongs to - the value of the C(prefect-ops:site) ownership tag, set beside
        C(prefect-ops:managed-by=prefect_ops.ecs) on what the module creates. Not set means the C(prefect-ops:site)
        key of O(tags), if any (how the roles named the site before this option); a run that names no site owns only
        objects without a C(prefect-ops:site) tag. When both are set they must be equal.
      - An object with the managed-by tag and no site tag (created before this option) is taken as this run's and
        given the site tag in place, never recreated.
    type: str
"""
