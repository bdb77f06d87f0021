"""lawful.yaml: the operator's privacy policy as the one source of truth.

    load_policy(path) -> LoadedPolicy      parse + validate; raises ConfigInvalid(.problems)
    check_policy(loaded) -> list[Problem]  coherence and current-law rules (errors, warnings)
    write_starter_config(dest, template)   copy a commented template (``lawful init``)

Every other part of lawful reads the policy through :class:`Policy` (``policy.purpose(key)``,
``purpose.uses(category)``, ``policy.category(key)``, ``policy.recipient(key)``).
"""

from lawful.config.check import check_policy
from lawful.config.init import available_templates, write_starter_config
from lawful.config.loader import (
    ConfigInvalid,
    LoadedPolicy,
    Problem,
    load_policy,
    load_policy_text,
)
from lawful.config.models import (
    Category,
    Channel,
    Consent,
    Deadline,
    Operator,
    Policy,
    Purpose,
    Recipient,
    Retention,
    localised,
)

__all__ = [
    "Category",
    "Channel",
    "ConfigInvalid",
    "Consent",
    "Deadline",
    "LoadedPolicy",
    "Operator",
    "Policy",
    "Problem",
    "Purpose",
    "Recipient",
    "Retention",
    "available_templates",
    "check_policy",
    "load_policy",
    "load_policy_text",
    "localised",
    "write_starter_config",
]
