"""Codec server for the Temporal UI and CLI: decode (and encode) encrypted payloads.

Two callers may decode, because decrypted payloads hold personal data:

- the Temporal UI of this machine: ``make run`` starts the dev server with
  ``--ui-codec-endpoint http://<api>/codec``, so the operator's browser sends the UI page's
  ``Origin`` (one of ``TRIAGE_CODEC_UI_ORIGINS``) from a loopback address; a page of any other
  origin cannot forge that header, and a remote client is refused;
- anything presenting ``Authorization: Bearer <TRIAGE_CODEC_TOKEN>`` (the CLI, or a proxy in front
  of a production UI that has checked the operator's own access token, see README).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Request
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from api.deps import SettingsDep
from api.errors import ERROR_SCHEMA, error_response
from core.settings import Settings

router = APIRouter(
    prefix="/codec",
    tags=["codec"],
    responses={
        401: error_response("Missing or wrong codec token (`unauthorized`)"),
        403: error_response("The codec endpoint is off: TRIAGE_CODEC_TOKEN is not set (`codec_disabled`)"),
        422: {
            "description": "Not a Payloads object, or a payload this key cannot decrypt (`invalid_payloads`, `undecodable_payload`)",
            "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/HTTPValidationError"}, ERROR_SCHEMA]}}},
        },
    },
)


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _authorise(request: Request, settings: Settings, authorization: str | None) -> None:
    origin = request.headers.get("origin")
    client = request.client.host if request.client else ""
    if origin and origin in settings.codec_ui_origins and client in _LOOPBACK:
        return  # the local Temporal UI in the operator's browser
    if settings.codec_token is None:
        raise HTTPException(
            403,
            detail={
                "code": "codec_disabled",
                "message": "only the local Temporal UI may decode; set TRIAGE_CODEC_TOKEN to allow other callers",
            },
        )
    expected = f"Bearer {settings.codec_token.get_secret_value()}"
    if not authorization or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, detail={"code": "unauthorized", "message": "missing or wrong bearer token"})


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return json_format.ParseDict(body, Payloads())
    except json_format.ParseError as exc:
        raise HTTPException(422, detail={"code": "invalid_payloads", "message": f"body is not a Payloads object: {exc}"}) from exc


async def _transcode(request: Request, settings: Settings, authorization: str | None, body: dict[str, Any], decode: bool) -> dict[str, Any]:
    _authorise(request, settings, authorization)
    codec = request.app.state.codec
    payloads = list(_parse(body).payloads)
    try:
        result = await (codec.decode(payloads) if decode else codec.encode(payloads))
    except Exception as exc:  # wrong key, tampered data
        raise HTTPException(422, detail={"code": "undecodable_payload", "message": str(exc) or type(exc).__name__}) from exc
    return json_format.MessageToDict(Payloads(payloads=result))


@router.post("/decode", summary="Decrypt payloads for the Temporal UI")
async def decode(
    request: Request, settings: SettingsDep, body: Annotated[dict[str, Any], Body()], authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    return await _transcode(request, settings, authorization, body, decode=True)


@router.post("/encode", summary="Encrypt payloads (for the Temporal CLI)")
async def encode(
    request: Request, settings: SettingsDep, body: Annotated[dict[str, Any], Body()], authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    return await _transcode(request, settings, authorization, body, decode=False)
