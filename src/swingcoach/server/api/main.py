"""All API routes under /v1."""

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError

from swingcoach.server.api.routes import auth, events, insights, jobs, live, ops, posture, swings, users


async def one_value_per_query_parameter(request: Request) -> None:
    """Every query parameter of the API is a single value: `?limit=5&limit=[]` is refused, not read
    as its last value (the document says integer, not array)."""
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise RequestValidationError(
            [{"loc": ("query", key), "msg": "given more than once", "type": "repeated"} for key in repeated]
        )


api_router = APIRouter(dependencies=[Depends(one_value_per_query_parameter)])
for module in (auth, users, swings, jobs, events, insights, posture, live):
    api_router.include_router(module.router)
api_router.include_router(ops.models_router)
