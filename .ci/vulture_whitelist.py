# vulture (`make deadcode`, .ci/run): names it reports at --min-confidence 80 that are in use.
# A name listed here counts as used everywhere. List only false positives, with where and
# why; `.venv/bin/vulture --make-whitelist` prints the candidates.

# Parameters whose names the framework fixes though the function does not read them.
view_func  # agentcrm/accounts/middleware.py: Django middleware's process_view()
view_args  # same
view_kwargs  # same
sender  # signal receivers: agentcrm/accounts/signals.py, touches/triggers.py
original_response  # agentcrm/accounts/views.py: django-axes' AXES_LOCKOUT_CALLABLE
memo  # policies/importing/rows.py: __deepcopy__(self, memo)
expression  # agentcrm/core/crypto.py: Field.from_db_value(self, value, expression, connection)
app_configs  # agentcrm/core/checks.py: a system check is called with (app_configs, **kwargs)

# Imported under TYPE_CHECKING for string annotations.
Expression  # touches/registry.py
