"""Photos of a case: upload (multipart) and download."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from gridcase.api.answers import answer
from gridcase.api.security import auth_required
from gridcase.cases.attachments import add_photo, photo_bytes
from gridcase.cases.schemas import AttachmentSchema
from gridcase.extensions import db
from gridcase.people.sessions import current_user

blp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Photos of cases.")


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A JPEG, PNG or WebP photo."})


class PhotoQuerySchema(Schema):
    size = fields.String(load_default="full", metadata={"description": "full or thumb"})


@blp.route("/cases/<ref>/attachments")
class Attachments(MethodView):
    @auth_required
    @blp.arguments(UploadSchema(), location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, files, ref):
        """Add a photo (at most 9 per case). It is checked by content, turned upright, stripped of
        its metadata (GPS included) and scaled to at most 2048 px. An `Idempotency-Key` header
        makes a retried upload return the photo stored the first time."""
        key = (request.headers.get("Idempotency-Key") or "").strip()[:128] or None
        upload = files["file"]
        attachment, created = add_photo(current_user(), ref, upload.read(), idempotency_key=key)
        body = AttachmentSchema().dump(attachment)
        db.session.commit()
        return answer(body, 201 if created else 200)


@blp.route("/attachments/<id:attachment_id>")
class Photo(MethodView):
    @auth_required
    @blp.arguments(PhotoQuerySchema(), location="query")
    @blp.response(200, description="The image bytes.")
    def get(self, args, attachment_id):
        """A photo, or with `?size=thumb` its small JPEG version."""
        data, content_type = photo_bytes(current_user(), attachment_id, thumbnail=args["size"] == "thumb")
        response = Response(data, mimetype=content_type)
        # A photo may show people and their homes: never kept in a browser's cache, where a
        # shared phone or office PC would still hold it after its user signed out.
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
