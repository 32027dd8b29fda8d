from ..service_request.conftest import as_user, world  # noqa: F401  (the same small world)
