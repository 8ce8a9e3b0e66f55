"""The HTTP service of the review queue: extraction, queue, reviews, gold, and the review pages.

Every error, whatever raised it, leaves as {"error": {"code", "message", "details"}} with its
status code (the review pages get a small HTML page instead). When `settings.api_token` is set
every request needs it (Authorization: Bearer, or the session cookie set by /login for the pages);
`check_bind` refuses to serve beyond loopback without one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Callable, Literal
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import store as st
from ..analysis.site import Site
from ..document import PageBox
from ..errors import AnalysisError, ConfigError, NoGoldError, NoSuchPageError, PageImageError, ReviewInputError, StoreError
from ..messages import Lang, accepted_language, localised, localised_notes, reasons_text
from ..page_images import PageRenderer, PageSize, is_paged
from ..readings import AmbiguousRun, evidence_text
from ..record import empty_record, record_to_dict
from ..settings import Settings
from ..version import ENGINE_VERSION
from ..workers import Workers
from . import docs, pages
from . import reviews as rq

WEB_STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "extractor_session"
TEXT_FORMATS = ("txt", "md", "html")
# multipart framing and JSON escaping on top of the content itself
_BODY_OVERHEAD = 1024 * 1024

MAX_ID = 2 ** 63 - 1    # SQLite's largest integer: ids and offsets beyond it are refused (422)
MIN_TOKEN_CHARS = 16
ExtractionId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="an extraction id")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]

_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """An error answer: HTTP status, a stable code, a message saying how to fix it, details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _error(status: int, code: str, message: str, details: Any = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


# ---------------------------------------------------------------- models (the OpenAPI document)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class TextUpload(BaseModel):
    """A report given as text instead of a file."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    format: Literal["txt", "md", "html"] = "txt"
    name: str | None = Field(default=None, max_length=200)


class ExtractionOut(BaseModel):
    id: int
    created: bool | None = Field(default=None, description="POST only: false when this content was already extracted")
    status: Literal["accepted", "review", "failed", "pretemplate"]
    review_state: str | None = Field(description="null: not reviewed; else the last decision")
    source: str
    sha256: str
    size: int | None = None
    format: str | None = None
    record: dict[str, Any] | None = Field(description="as extracted")
    legacy: dict[str, Any] | None = Field(default=None, description="status pretemplate: the legacy record of a "
                                          "report from before the 2019 national template (README)")
    reviewed_record: dict[str, Any] | None = Field(description="as the last review left it (null if none)")
    findings: list[dict[str, Any]]
    reasons: list[str]
    provenance: list[dict[str, Any]]
    error: str | None = None
    risk: float
    engine_version: str | None = None
    created_at: str
    is_current: bool
    links: dict[str, str]


class QueueItem(BaseModel):
    id: int
    source: str
    status: str
    review_state: str | None = None
    organization: str | None = None
    year: int | None = None
    template: str | None = None
    risk: float
    reasons: list[str]
    created_at: str
    error: str | None = None


class QueueOut(BaseModel):
    items: list[QueueItem]
    total: int
    limit: int
    offset: int
    status: str
    review_state: str


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, Any] | None = Field(
        default=None, description="the corrected canonical record (FORMAT.md); may be omitted only to reject")
    reviewer: str = Field(min_length=1, max_length=200)
    decision: Literal["accept", "reject", "source_inconsistent"]
    note: str | None = Field(default=None, max_length=4000)


class ReviewOut(BaseModel):
    id: int
    review_id: int
    decision: str
    reviewer: str
    review_state: str
    record: dict[str, Any] | None
    findings: list[dict[str, Any]]


class HistoryOut(BaseModel):
    id: int
    events: list[dict[str, Any]]


class SourceOut(BaseModel):
    id: int
    sha256: str
    format: str | None
    text: str | None


class EvidenceOut(BaseModel):
    code: str = Field(description="stable code of the kind of evidence (see extractor/readings.py)")
    weight: float
    cells: list[str]
    params: dict[str, Any]
    text: str = Field(description="the evidence as a sentence, in the language asked for")


class ReadingOut(BaseModel):
    rank: int = Field(description="1 = best; the number to POST as the choice")
    values: list[int | float]
    score: float
    evidence: list[EvidenceOut]


class RunOut(BaseModel):
    run: str = Field(description="the run's id: the record path of its row")
    table: str
    label: str
    printed: str
    fields: list[str]
    total: int = Field(description="admissible readings in all (the best 20 are listed)")
    readings: list[ReadingOut]


class ReadingsOut(BaseModel):
    id: int
    runs: list[RunOut]
    record: dict[str, Any] | None = Field(description="the record the reviewer starts from: as last reviewed, "
                                                      "else as extracted with every run's best reading")


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choices: dict[str, int] = Field(max_length=200, description="run id -> rank of the chosen reading (1 = best)")
    reviewer: str | None = Field(default=None, min_length=1, max_length=200)
    decision: Literal["accept", "source_inconsistent"] | None = Field(
        default=None, description="store a review of the filled record at once (every run must be chosen)")
    note: str | None = Field(default=None, max_length=4000)


class ChoiceOut(BaseModel):
    id: int
    record: dict[str, Any]
    findings: list[dict[str, Any]] = Field(description="the checks' findings on the filled record")
    checks_pass: bool
    unchosen: list[str] = Field(description="runs no reading was chosen for")
    review: ReviewOut | None = None


class PageOut(BaseModel):
    page: int
    dpi: float = Field(description="the dpi the image is served at (lowered to fit the pixel budget)")
    width: int
    height: int
    image: str = Field(description="URL of the PNG")


class PagesOut(BaseModel):
    id: int
    pages: int
    dpi: float
    items: list[PageOut]


class NumberBoxOut(BaseModel):
    field: str
    value: float | int
    method: str
    x0: float
    y0: float
    x1: float
    y1: float


class PageBoxesOut(PageOut):
    pages: int = Field(description="how many pages the input has")
    boxes: list[NumberBoxOut] = Field(description="the numbers of the record printed on this page, "
                                                  "each with its box in the image's pixels")


# ---------------------------------------------------------------- binding and auth


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to listen beyond loopback without an API token of at least MIN_TOKEN_CHARS characters."""
    if is_loopback(host):
        return
    if not settings.api_token or not settings.api_token.strip():
        raise ConfigError(f"refusing to listen on {host} without an API token: set EXTRACTOR_API_TOKEN "
                          "(clients then send 'Authorization: Bearer <token>'), or listen on 127.0.0.1")
    if len(settings.api_token.strip()) < MIN_TOKEN_CHARS:
        raise ConfigError(f"refusing to listen on {host} with an API token of {len(settings.api_token.strip())} "
                          f"characters: EXTRACTOR_API_TOKEN needs at least {MIN_TOKEN_CHARS} (e.g. the output of "
                          "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`)")


def _session_value(token: str) -> str:
    # The cookie holds a digest of the token, never the token itself.
    return hmac.new(token.encode(), b"extractor-review-session", hashlib.sha256).hexdigest()


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return (path in ("/", "/docs") or path.startswith("/review") or path.startswith("/login")
            or path.startswith("/analysis")) and \
        request.method in ("GET", "HEAD", "POST") and "application/json" not in request.headers.get("accept", "")


class _BodyLimit:
    """Refuses request bodies over the limit before they are read into memory (413)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _error(413, "payload_too_large", f"request body is {int(length)} bytes, over the limit of "
                         f"{self.limit} (EXTRACTOR_MAX_UPLOAD_BYTES)")(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise StarletteHTTPException(413, f"request body over the limit of {self.limit} bytes "
                                                      "(EXTRACTOR_MAX_UPLOAD_BYTES)")
            return message

        await self.app(scope, limited, send)


# ---------------------------------------------------------------- the app


def create_app(settings: Settings, *, llm_url: Callable[[], str] | None = None) -> FastAPI:
    """The service over the store at settings.db_path. `llm_url`: where the model is served for
    llm=auto|on (llm.open_llm_url), or None. Uploads are extracted in worker processes, stopped
    when the app shuts down."""
    try:
        store = st.open_store(settings.db_path)
    except StoreError as e:
        raise ConfigError(str(e)) from e
    log = logging.getLogger("extractor.service")
    # a service runs for long: a model server that kept failing is tried again after a while
    workers = Workers(settings, max(1, settings.workers), llm_url=llm_url if settings.llm != "off" else None,
                      on_notice=lambda m: log.warning("%s", m), breaker_reset_s=300.0)
    submitter = rq.Submitter(store, settings, workers)
    renderer = PageRenderer(max_pixels=settings.page_image_max_pixels, cache_bytes=settings.page_image_cache_bytes)
    site = Site(store)
    token = settings.api_token
    session = _session_value(token) if token else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            workers.close()     # an extraction in progress ends now: its request answers at once
            store.close()

    app = FastAPI(
        title="gov-report-extractor review service",
        version=ENGINE_VERSION,
        description="Extract 政府信息公开工作年度报告, review doubtful results, export reviewed records as gold.",
        # FastAPI's doc pages load Swagger UI from a CDN; /docs is rendered here instead (docs.py)
        docs_url=None, redoc_url=None,
        lifespan=lifespan,
        responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}, 500: {"model": ErrorOut}},
    )
    app.state.store = store
    app.state.settings = settings
    app.add_middleware(_BodyLimit, limit=2 * settings.max_upload_bytes + _BODY_OVERHEAD)

    # ---- errors: one shape for everything

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if _wants_html(request) and exc.status != 401:
            return HTMLResponse(pages.error_page(exc.status, exc.message), status_code=exc.status)
        return _error(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        if exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path}"
        if _wants_html(request) and exc.status_code in (404, 405):
            return HTMLResponse(pages.error_page(exc.status_code, message), status_code=exc.status_code)
        return _error(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [{"loc": ".".join(str(x) for x in e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                   for e in exc.errors()]
        return _error(422, "validation_error", "the request is not valid: " +
                      "; ".join(f"{d['loc']}: {d['msg']}" for d in details[:5]), details)

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError) -> Response:
        return _error(503, "store_error", str(exc))

    @app.exception_handler(OverflowError)
    async def _too_large(request: Request, exc: OverflowError) -> Response:
        # a number from the request beyond what the database holds (a route without a bound)
        return _error(422, "validation_error", f"a number in the request is too large (at most {MAX_ID})")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        # No traceback or message to the client: it may hold paths or data.
        return _error(500, "internal_error", f"internal error ({type(exc).__name__}); see the server log")

    # ---- auth

    @app.middleware("http")
    async def _auth(request: Request, call_next: Any) -> Response:
        if not token:
            return await call_next(request)
        path = request.url.path
        if path.startswith("/static/") or path in ("/login", "/healthz"):
            return await call_next(request)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and \
                hmac.compare_digest(header[7:].strip().encode("utf-8", "surrogateescape"), token.encode()):
            return await call_next(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        # bytes: a cookie of any characters is compared, never a TypeError (str needs ASCII)
        if cookie and session and hmac.compare_digest(cookie.encode("utf-8", "surrogateescape"), session.encode()):
            origin = request.headers.get("origin")
            if request.method not in ("GET", "HEAD") and origin and urlsplit(origin).netloc != request.headers.get("host"):
                return _error(403, "forbidden", "cross-site request refused")
            return await call_next(request)
        if _wants_html(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
        reason = "missing" if not header and not cookie else "invalid"
        return _error(401, "unauthorized", f"API token {reason}: send 'Authorization: Bearer <token>' "
                      "(the token is EXTRACTOR_API_TOKEN on the server)", None, {"WWW-Authenticate": "Bearer"})

    # ---- helpers

    def load(extraction_id: int) -> dict[str, Any]:
        extraction = st.get_extraction(store, extraction_id)
        if extraction is None:
            raise ApiError(404, "not_found", f"no extraction {extraction_id}")
        return extraction

    def lang_of(request: Request, *, page: bool = False) -> Lang:
        """The request's language: its Accept-Language (zh or en), else EXTRACTOR_LANG, else
        Chinese on the review pages and English in the API."""
        return accepted_language(request.headers.get("accept-language"), settings.lang or ("zh" if page else "en"))

    def view(extraction_id: int, lang: Lang, created: bool | None = None) -> dict[str, Any]:
        e = load(extraction_id)
        latest = rq.latest_review(store, extraction_id)
        base = f"/v1/extractions/{extraction_id}"
        return {
            "id": e["id"], "created": created, "status": e["status"], "review_state": e["review_state"],
            "source": e["path"], "sha256": e["sha256"], "size": e["size"], "format": e["format"],
            "record": e["record"], "legacy": e.get("legacy"), "reviewed_record": latest["record"] if latest else None,
            "findings": localised(e["findings"], lang),
            "reasons": reasons_text(e["status"], e["findings"], e["reasons"], lang),
            "provenance": localised_notes(e["provenance"] or [], lang),
            "error": e["error"], "risk": e["risk"], "engine_version": e["engine_version"],
            "created_at": e["created_at"], "is_current": bool(e["is_current"]),
            "links": {"self": base, "review": f"{base}/review", "history": f"{base}/history",
                      "gold": f"{base}/gold", "source": f"{base}/source", "pages": f"{base}/pages",
                      "page": f"/review/{extraction_id}"},
        }

    async def read_upload(request: Request) -> tuple[bytes, str]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=10)
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise ApiError(422, "invalid_upload", "multipart upload needs a file in the field 'file'")
            data = await file.read()
            name = file.filename or "upload"
        elif ctype == "application/json":
            try:
                body = await request.json()
            except ValueError as e:
                raise ApiError(422, "invalid_json", f"request body is not JSON: {e}") from e
            try:
                upload = TextUpload.model_validate(body)
            except ValidationError as e:
                details = [{"loc": ".".join(str(x) for x in err["loc"]), "msg": err["msg"], "type": err["type"]}
                           for err in e.errors()]
                raise ApiError(422, "validation_error", "expected {text, format (txt|md|html), name}",
                               details) from e
            data = upload.text.encode("utf-8")
            name = rq.safe_name(upload.name or "upload")
            if not name.lower().endswith(f".{upload.format}"):
                name = f"{name}.{upload.format}"
        else:
            raise ApiError(415, "unsupported_media_type",
                           "send the report as multipart/form-data (field 'file') or as JSON {text, format, name}")
        if len(data) > settings.max_upload_bytes:
            raise ApiError(413, "payload_too_large", f"the report is {len(data)} bytes, over the limit of "
                           f"{settings.max_upload_bytes} (EXTRACTOR_MAX_UPLOAD_BYTES)")
        if not data:
            raise ApiError(422, "empty_upload", "the uploaded report is empty")
        return data, name

    # ---- API

    upload_doc = {
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "the report: HTML, PDF, DOCX, DOC, WPS, RTF, TXT or MD"}}}},
            "application/json": {"schema": TextUpload.model_json_schema()},
        }},
    }

    @app.post("/v1/extractions", response_model=ExtractionOut, status_code=201, tags=["extractions"],
              openapi_extra=upload_doc,
              responses={200: {"model": ExtractionOut, "description": "this content was already extracted"},
                         413: {"model": ErrorOut}, 415: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    async def create_extraction(request: Request, response: Response) -> dict[str, Any]:
        """Extract one report (file upload or text). Same content and configuration: same id, no new work."""
        data, name = await read_upload(request)
        eid, created = await run_in_threadpool(submitter.submit, data, name)
        response.status_code = 201 if created else 200
        return await run_in_threadpool(view, eid, lang_of(request), created)

    @app.get("/v1/extractions/{extraction_id}", response_model=ExtractionOut, tags=["extractions"],
             responses={404: {"model": ErrorOut}})
    def get_extraction(extraction_id: ExtractionId, request: Request) -> dict[str, Any]:
        """One extraction: status, record, findings, provenance, and the reviewed record if any.
        Findings, reasons and provenance notes are in the language of the request's Accept-Language
        (zh or en; default English): each finding also carries its stable `code` and `params`."""
        return view(extraction_id, lang_of(request))

    @app.get("/v1/extractions/{extraction_id}/source", response_model=SourceOut, tags=["extractions"],
             responses={404: {"model": ErrorOut}})
    def get_source(extraction_id: ExtractionId) -> dict[str, Any]:
        """The loaded text the provenance spans point into (null when the input is not available)."""
        e = load(extraction_id)
        return {"id": e["id"], "sha256": e["sha256"], "format": e["format"],
                "text": rq.source_text(store, e, settings)}

    # ---- page images (PDFs and page images; the review page shows them beside the table)

    def paged_input(extraction_id: int) -> tuple[dict[str, Any], bytes]:
        e = load(extraction_id)
        data = rq.input_bytes(store, e)
        if data is None:
            raise ApiError(404, "no_input", f"the input of extraction {extraction_id} is not available "
                           "(not uploaded here, and not found unchanged at its path)")
        if not is_paged(data):
            raise ApiError(404, "no_pages", f"the input of extraction {extraction_id} has no pages "
                           f"to show (format {e['format']}); its text is at /v1/extractions/{extraction_id}/source")
        return e, data

    def page_size(data: bytes, page: int, dpi: float | None) -> PageSize:
        try:
            return renderer.size(data, page, dpi or settings.page_image_dpi)
        except NoSuchPageError as e:
            raise ApiError(404, "no_such_page", str(e)) from e
        except PageImageError as e:
            raise ApiError(422, "page_not_rendered", str(e)) from e

    def page_out(extraction_id: int, size: PageSize) -> dict[str, Any]:
        return {"page": size.page, "dpi": size.dpi, "width": size.width, "height": size.height,
                "image": f"/v1/extractions/{extraction_id}/pages/{size.page}?dpi={size.dpi:g}"}

    dpi_query = Query(None, ge=24, le=600, description="resolution; default EXTRACTOR_PAGE_IMAGE_DPI")

    @app.get("/v1/extractions/{extraction_id}/pages", response_model=PagesOut, tags=["pages"],
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    def list_pages(extraction_id: ExtractionId, dpi: float | None = dpi_query) -> dict[str, Any]:
        """The pages of a paged input (PDF, page images) with their sizes at the served dpi."""
        _, data = paged_input(extraction_id)
        try:
            sizes = renderer.sizes(data, dpi or settings.page_image_dpi)
        except PageImageError as e:
            raise ApiError(422, "page_not_rendered", str(e)) from e
        return {"id": extraction_id, "pages": len(sizes), "dpi": dpi or settings.page_image_dpi,
                "items": [page_out(extraction_id, size) for size in sizes]}

    @app.get("/v1/extractions/{extraction_id}/pages/{page}", tags=["pages"], response_class=Response,
             responses={200: {"content": {"image/png": {}}, "description": "the page as PNG"},
                        404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    async def get_page(extraction_id: ExtractionId, request: Request, page: int = PathParam(..., ge=1, le=100_000),
                       dpi: float | None = dpi_query) -> Response:
        """Page `page` (1-based) of the input as PNG, rendered on demand (and cached). Headers give
        the served dpi and the size in pixels; provenance boxes scale by dpi / box.dpi."""
        e, data = await run_in_threadpool(paged_input, extraction_id)
        size = await run_in_threadpool(page_size, data, page, dpi)
        etag = f'"{e["sha256"][:32]}-{page}-{size.dpi:g}"'
        headers = {"X-Page-Dpi": f"{size.dpi:g}", "X-Page-Width": str(size.width),
                   "X-Page-Height": str(size.height), "ETag": etag, "Cache-Control": "private, max-age=86400"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        try:
            image = await run_in_threadpool(renderer.render, data, e["sha256"], page, size.dpi)
        except PageImageError as err:
            raise ApiError(422, "page_not_rendered", str(err)) from err
        return Response(image.png, media_type="image/png", headers=headers)

    @app.get("/v1/extractions/{extraction_id}/pages/{page}/boxes", response_model=PageBoxesOut, tags=["pages"],
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    def page_boxes(extraction_id: ExtractionId, page: int = PathParam(..., ge=1, le=100_000),
                   dpi: float | None = dpi_query) -> dict[str, Any]:
        """The record's numbers printed on this page, each with its box in the pixels of the page
        image served at `dpi` (the image URL is in `image`)."""
        e, data = paged_input(extraction_id)
        size = page_size(data, page, dpi)
        boxes = []
        for p in e["provenance"] or []:
            box = p.get("box")
            if not box or box.get("page") != page:
                continue
            x0, y0, x1, y1 = size.scale(PageBox.model_validate(box))
            boxes.append({"field": p["field"], "value": p["value"], "method": p["method"],
                          "x0": x0, "y0": y0, "x1": x1, "y1": y1})
        return {**page_out(extraction_id, size), "pages": renderer.count(data), "boxes": boxes}

    # ---- ranked readings of ambiguous runs (the review page's choices; a queue tool can drive them)

    def run_out(run: AmbiguousRun, lang: Literal["zh", "en"]) -> dict[str, Any]:
        return {**run.model_dump(exclude={"readings"}), "readings": [
            {"rank": k, "values": r.values, "score": r.score,
             "evidence": [{**e.model_dump(), "text": evidence_text(e, lang)} for e in r.evidence]}
            for k, r in enumerate(run.readings, start=1)]}

    @app.get("/v1/extractions/{extraction_id}/readings", response_model=ReadingsOut, tags=["reviews"],
             responses={404: {"model": ErrorOut}})
    def get_readings(extraction_id: ExtractionId, request: Request,
                     lang: Literal["zh", "en"] | None = Query(None, description="default: from Accept-Language")
                     ) -> dict[str, Any]:
        """The readings of every ambiguous run of this extraction, best first, each with the evidence
        that ranks it (the report's prose, the agency's other years in the store, plain priors)."""
        e = load(extraction_id)
        runs = rq.ranked_runs(store, e)
        language = lang or lang_of(request)
        return {"id": extraction_id, "runs": [run_out(r, language) for r in runs],
                "record": rq.start_record(e, rq.latest_review(store, extraction_id), runs)}

    @app.post("/v1/extractions/{extraction_id}/readings", response_model=ChoiceOut, tags=["reviews"],
              responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    def choose_readings(extraction_id: ExtractionId, body: ChoiceIn, request: Request) -> dict[str, Any]:
        """Fill the cells with the chosen readings and re-run the checks. With `decision` (and
        `reviewer`), the filled record is stored as a review at once, as POST .../review would."""
        e = load(extraction_id)
        runs = rq.ranked_runs(store, e)
        record = rq.start_record(e, rq.latest_review(store, extraction_id), runs)
        if record is None:
            raise ApiError(422, "no_record", f"extraction {extraction_id} has no record to fill (status {e['status']})")
        try:
            filled = rq.validate_record(rq.apply_choices(record, runs, body.choices))
        except ReviewInputError as err:
            raise ApiError(422, err.code, err.message, err.details) from err
        findings = localised(rq.check(filled), lang_of(request))
        unchosen = [r.run for r in runs if r.run not in body.choices]
        out: dict[str, Any] = {"id": extraction_id, "record": filled, "findings": findings,
                               "checks_pass": not rq.failing_rules(findings), "unchosen": unchosen, "review": None}
        if body.decision is not None:
            if not body.reviewer:
                raise ApiError(422, "invalid_review", "reviewer is required with a decision")
            if unchosen:
                raise ApiError(422, "unchosen_runs", "choose a reading for every ambiguous run before deciding",
                               {"unchosen": unchosen})
            try:
                out["review"] = rq.add_review(store, extraction_id, reviewer=body.reviewer, decision=body.decision,
                                              record=filled, note=body.note)
            except ReviewInputError as err:
                raise ApiError(422, err.code, err.message, err.details) from err
        return out

    @app.get("/v1/queue", response_model=QueueOut, tags=["queue"])
    def queue(request: Request, status: Literal["review", "accepted", "failed", "pretemplate", "any"] = "review",
              review_state: Literal["pending", "reviewed", "accept", "reject", "source_inconsistent", "any"] = "pending",
              limit: int = Query(50, ge=1, le=500), offset: Offset = 0) -> dict[str, Any]:
        """Current extractions, riskiest first, then oldest. Default: waiting for review (reports from
        before the 2019 national template, status `pretemplate`, are never in it)."""
        s = None if status == "any" else status
        r = None if review_state == "any" else review_state
        rows = st.list_queue(store, status=s, review_state=r, limit=limit, offset=offset)
        lang = lang_of(request)
        items = [{**row, "source": row["path"], "reasons": reasons_text(row["status"], row["findings"], row["reasons"], lang)}
                 for row in rows]
        return {"items": items, "total": st.count_queue(store, status=s, review_state=r),
                "limit": limit, "offset": offset, "status": status, "review_state": review_state}

    @app.post("/v1/extractions/{extraction_id}/review", response_model=ReviewOut, tags=["reviews"],
              responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    def review(extraction_id: ExtractionId, body: ReviewIn, request: Request) -> dict[str, Any]:
        """Store a reviewer's decision and corrected record (validated and re-checked; the checks' findings
        are returned). `accept` needs a record that passes the checks; `source_inconsistent` one that
        fails them as the report prints it; `reject` may omit the record. History is never overwritten."""
        try:
            out = rq.add_review(store, extraction_id, reviewer=body.reviewer, decision=body.decision,
                                record=body.record, note=body.note)
            return {**out, "findings": localised(out["findings"], lang_of(request))}
        except LookupError as e:
            raise ApiError(404, "not_found", f"no extraction {extraction_id}") from e
        except ReviewInputError as e:
            raise ApiError(422, e.code, e.message, e.details) from e

    @app.get("/v1/extractions/{extraction_id}/history", response_model=HistoryOut, tags=["reviews"],
             responses={404: {"model": ErrorOut}})
    def get_history(extraction_id: ExtractionId, request: Request) -> dict[str, Any]:
        """The extraction and every review after it, oldest first, with the cells each review changed."""
        lang = lang_of(request)
        return {"id": extraction_id, "events": [
            {**ev, "findings": localised(ev["findings"], lang)} if ev.get("findings") else ev
            for ev in rq.history(store, load(extraction_id))]}

    @app.get("/v1/extractions/{extraction_id}/gold", tags=["reviews"],
             responses={200: {"description": "the reviewed record in the label format of FORMAT.md"},
                        404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
    def get_gold(extraction_id: ExtractionId) -> JSONResponse:
        """The reviewed record as a gold.json (FORMAT.md), from the latest accept / source_inconsistent review."""
        try:
            record, r = rq.gold(store, extraction_id)
        except NoGoldError as e:
            raise ApiError(409, "not_reviewed", str(e)) from e
        except LookupError as e:
            raise ApiError(404, "not_found", str(e)) from e
        return JSONResponse(record, headers={"X-Reviewer": quote(r["reviewer"]), "X-Review-Decision": r["decision"]})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "engine_version": ENGINE_VERSION}

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        """The API reference, from the same OpenAPI document as /openapi.json (the token rules apply)."""
        return HTMLResponse(docs.api_reference(app.openapi(), token_required=bool(token)))

    # ---- review pages

    app.mount("/static", StaticFiles(directory=WEB_STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/review", status_code=303)

    page_filters: dict[str, tuple[str | None, str | None]] = {
        "review": ("review", "pending"), "reviewed": (None, "reviewed"),
        "accepted": ("accepted", None), "failed": ("failed", None), "pretemplate": ("pretemplate", None),
    }

    @app.get("/review", include_in_schema=False, response_class=HTMLResponse)
    def queue_page(request: Request, status: Literal["review", "reviewed", "accepted", "failed", "pretemplate"] = "review",
                   limit: int = Query(50, ge=1, le=500), offset: Offset = 0,
                   done: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None) -> HTMLResponse:
        s, r = page_filters[status]
        rows = st.list_queue(store, status=s, review_state=r, limit=limit, offset=offset)
        lang = lang_of(request, page=True)
        items = [{**row, "source": row["path"], "decision": row["review_state"],
                  "reasons": reasons_text(row["status"], row["findings"], row["reasons"], lang)} for row in rows]
        total = st.count_queue(store, status=s, review_state=r)
        return HTMLResponse(pages.queue_page(items, status=status, total=total, limit=limit, offset=offset, done=done))

    @app.get("/review/{extraction_id}", include_in_schema=False, response_class=HTMLResponse)
    def report_page(extraction_id: ExtractionId, request: Request,
                    done: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None) -> HTMLResponse:
        e = load(extraction_id)
        latest = rq.latest_review(store, extraction_id)
        runs = rq.ranked_runs(store, e)
        record = rq.start_record(e, latest, runs) or record_to_dict(empty_record("2021"))
        lang = lang_of(request, page=True)
        findings = localised(latest["findings"] if latest and latest["findings"] is not None else e["findings"], lang)
        previous, following = st.queue_neighbours(store, extraction_id)
        page = pages.report_page({
            "id": e["id"], "status": e["status"], "decision": e["review_state"], "source": e["path"],
            "format": e["format"], "sha256": e["sha256"], "record": record,
            "extracted_record": e["record"] or record, "has_record": e["record"] is not None,
            "findings": findings, "provenance": localised_notes(e["provenance"] or [], lang),
            "reasons": reasons_text(e["status"], e["findings"], e["reasons"], lang), "lang": lang,
            "error": e["error"], "text": rq.source_text(store, e, settings),
            "history": [ev for ev in rq.history(store, e) if ev["event"] == "review"],
            "analysis_links": _analysis_links(site, e),
            "runs": [run_out(r, lang) for r in runs], "previous": previous, "next": following, "done": done,
            # the printed page beside the table: PDFs (even one that failed), and inputs whose numbers have boxes
            "paged": e["format"] == "pdf" or any(p.get("box") for p in e["provenance"] or []),
        })
        return HTMLResponse(page)

    @app.post("/review/upload", include_in_schema=False)
    async def upload_page(request: Request) -> RedirectResponse:
        data, name = await read_upload(request)
        eid, _ = await run_in_threadpool(submitter.submit, data, name)
        return RedirectResponse(f"/review/{eid}", status_code=303)

    # ---- analysis pages: the agency, comparison and rankings pages of `extractor report`, served

    def analysis(render: Any, *args: Any) -> HTMLResponse:
        try:
            return HTMLResponse(render(*args))
        except AnalysisError as e:
            raise ApiError(404, "not_found", str(e)) from e

    @app.get("/analysis", include_in_schema=False, response_class=HTMLResponse)
    def analysis_overview() -> HTMLResponse:
        return analysis(site.overview)

    @app.get("/analysis/agency", include_in_schema=False, response_class=HTMLResponse)
    def analysis_agency(name: str = Query(min_length=1, max_length=300)) -> HTMLResponse:
        return analysis(site.agency, name)

    @app.get("/analysis/compare", include_in_schema=False, response_class=HTMLResponse)
    def analysis_compare(name: str = Query(min_length=1, max_length=300), year: int = Query(ge=1900, le=2200)) -> HTMLResponse:
        return analysis(site.compare, name, year)

    @app.get("/analysis/rankings", include_in_schema=False, response_class=HTMLResponse)
    def analysis_rankings(year: int = Query(ge=1900, le=2200)) -> HTMLResponse:
        return analysis(site.rankings, year)

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_form(next: str = "/review") -> HTMLResponse:
        return HTMLResponse(pages.login_page(_local_path(next)))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        given = str(form.get("token") or "")
        target = _local_path(str(form.get("next") or "/review"))
        if not token:
            return RedirectResponse(target, status_code=303)
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode()):
            return HTMLResponse(pages.login_page(target, "令牌不正确。"), status_code=401)
        resp = RedirectResponse(target, status_code=303)
        # Secure over HTTPS (behind a proxy: its X-Forwarded-Proto, trusted from --forwarded-allow-ips)
        resp.set_cookie(SESSION_COOKIE, session or "", httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
        return resp

    return app


def _analysis_links(site: Site, extraction: dict[str, Any]) -> list[tuple[str, str]]:
    """The review page's links to the analysis of its agency (none without an organization)."""
    agency = site.agency_of((extraction.get("record") or {}).get("organization") or extraction.get("organization"))
    if agency is None:
        return []
    links = [(f"/analysis/agency?name={quote(agency)}", f"{agency} 历年分析")]
    if extraction.get("year") is not None and extraction.get("record") is not None:
        year = extraction["year"]
        links.append((f"/analysis/compare?name={quote(agency)}&year={year}", f"{year} 年与上一年对比"))
    return links
def _local_path(target: str) -> str:
    # Only same-site paths: never redirect a reviewer to another host after login.
    return target if target.startswith("/") and not target.startswith("//") else "/review"
