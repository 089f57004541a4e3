"""Codec server for the Temporal UI and CLI: decode (and encode) encrypted payloads.

Point the Temporal UI's "Codec Server" setting at ``http://<api>/codec`` with the bearer token from
``TRIAGE_CODEC_TOKEN``. Without a configured token the endpoints refuse every request: decrypted
payloads hold personal data.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Request
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from api.deps import SettingsDep
from core.settings import Settings

router = APIRouter(prefix="/codec", tags=["codec"])


def _authorise(settings: Settings, authorization: str | None) -> None:
    if settings.codec_token is None:
        raise HTTPException(403, detail={"code": "codec_disabled", "message": "set TRIAGE_CODEC_TOKEN to enable the codec endpoint"})
    expected = f"Bearer {settings.codec_token.get_secret_value()}"
    if not authorization or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, detail={"code": "unauthorized", "message": "missing or wrong bearer token"})


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return json_format.ParseDict(body, Payloads())
    except json_format.ParseError as exc:
        raise HTTPException(422, detail={"code": "invalid_payloads", "message": f"body is not a Payloads object: {exc}"}) from exc


async def _transcode(request: Request, settings: Settings, authorization: str | None, body: dict[str, Any], decode: bool) -> dict[str, Any]:
    _authorise(settings, authorization)
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
