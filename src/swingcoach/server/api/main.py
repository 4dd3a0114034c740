"""All API routes under /v1."""

from fastapi import APIRouter

from swingcoach.server.api.routes import auth, events, insights, jobs, ops, swings, users

api_router = APIRouter()
for module in (auth, users, swings, jobs, events, insights):
    api_router.include_router(module.router)
api_router.include_router(ops.models_router)
