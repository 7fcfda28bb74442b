"""The sessions engine (SESSION_ENGINE): Django's database sessions, stored in
accounts.UserSession with the signed-in user's id beside the data.

Every save writes the id again, so it follows the session through each new key (login,
password change, second factor) and `user_sessions_end` finds all of a user's sessions
with one indexed DELETE.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


def _user_id(data: dict) -> int | None:
    try:
        return int(data.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        obj.user_id = _user_id(data)
        return obj

    async def acreate_model_instance(self, data):
        obj = await super().acreate_model_instance(data)
        obj.user_id = _user_id(data)
        return obj
