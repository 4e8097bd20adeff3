"""Policy checks and vintage diffs: the CI gate on refreshed trade data.

* :mod:`scrisk.policy.spec` -- policy files (rules as TOML) and their parsing.
* :mod:`scrisk.policy.check` -- judge a flow table against a policy.
* :mod:`scrisk.policy.diff` -- what changed between two vintages of data.
"""
