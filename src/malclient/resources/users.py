"""`client.users`: the signed-in user's profile (SPEC 4.10). MAL serves no one else's."""

from __future__ import annotations

from malclient.models import User
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._calls import FieldsArg
from malclient.resources._endpoints import USERS_ME

__all__ = ["AsyncUsers", "Users"]


class Users(SyncResource):
    __slots__ = ()

    def me(self, *, fields: FieldsArg = None) -> User:
        """The signed-in user; every profile field (statistics too) unless `fields` says."""
        return self._call(USERS_ME, fields=fields)


class AsyncUsers(AsyncResource):
    __slots__ = ()

    async def me(self, *, fields: FieldsArg = None) -> User:
        return await self._call(USERS_ME, fields=fields)
