"""Background jobs (video analyses): status, the dead-letter list and manual retry."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.orm import Session

from swingcoach.server.api.deps import ServicesDep, SessionDep, UserId
from swingcoach.server.api.schemas import JobOut, Omitted, error_responses
from swingcoach.server.crud.jobs import get_job, list_jobs, requeue
from swingcoach.server.models import Job, JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _own_job(session: Session, user_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    job = get_job(session, user_id, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    return job


@router.get("", response_model=list[JobOut])
def jobs(
    user_id: UserId,
    session: SessionDep,
    status_: Annotated[
        JobStatus | Omitted, Query(alias="status", description="e.g. dead: the dead letters")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobOut]:
    return [JobOut.model_validate(job) for job in list_jobs(session, user_id, status_, limit)]


@router.get("/{job_id}", response_model=JobOut)
def job(job_id: uuid.UUID, user_id: UserId, session: SessionDep) -> JobOut:
    return JobOut.model_validate(_own_job(session, user_id, job_id))


@router.post(
    "/{job_id}/retry",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(409),
)
def retry(job_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep) -> JobOut:
    """Run a dead-lettered or failed job again, with a fresh set of attempts."""
    found = _own_job(session, user_id, job_id)
    try:
        requeue(session, found, services.settings.job_max_attempts)
    except ValueError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    session.commit()
    services.queue.enqueue(found.id)
    return JobOut.model_validate(found)
