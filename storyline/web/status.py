"""``/api/status``: the distributed pipeline's status for the admin (the admin token
is required, like the other admin endpoints): what ``storyline status --json`` prints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from storyline.distributed.status import broker_depth, collect_status
from storyline.text.jsonio import json_default
from storyline.web.security import WriteRefused, bearer_token, check_token

router = APIRouter(prefix="/api")


def _status(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return collect_status(settings, request.app.state.engine,
                          queue_depth=broker_depth(settings))


@router.get("/status", summary="Pipeline status",
            description="Needs `Authorization: Bearer <admin token>`. Per queue the work "
                        "pending in the database and in the broker, per stage the items "
                        "done in the last minutes, worker heartbeats, and the clusterer's "
                        "epoch, checkpoint and lag.",
            responses={401: {"description": "No admin token given"},
                       403: {"description": "Wrong admin token"}})
async def api_status(request: Request) -> Response:
    try:
        check_token(request.app.state.settings.admin_token, bearer_token(request))
    except WriteRefused as exc:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status,
                            headers=headers)
    import json

    body = await run_in_threadpool(_status, request)
    return Response(json.dumps(body, default=json_default), media_type="application/json")
