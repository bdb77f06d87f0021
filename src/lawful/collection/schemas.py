"""The shape of a submission as a web form posts it (validated by pydantic; field errors are
answered as problem+json naming the field, never echoing the value)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ConsentGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given: bool = Field(description="true if the box was ticked; false records a refusal")
    document_version: int = Field(ge=1, description="version of the consent text shown")
    content_hash: str | None = Field(
        default=None, description="sha256 of the text shown, as served with the document"
    )
    distribution_terms: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="for a distribution consent: per category, what the person permits and "
        "the conditions and prohibitions they set (152-FZ Art. 10.1)",
    )


class AgreementAccepted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_version: int = Field(ge=1)
    content_hash: str | None = None


class Submission(BaseModel):
    """One web form or inquiry."""

    model_config = ConfigDict(extra="forbid")

    form_id: str = Field(min_length=1, max_length=100)
    channel: str = Field(default="web_form", max_length=50)
    language: str = Field(min_length=2, max_length=8)
    page_url: str | None = Field(default=None, max_length=2000)
    fields: dict[str, str] = Field(
        min_length=1, description="taxonomy category key -> value, e.g. user.contact.email"
    )
    purposes: list[str] = Field(min_length=1, description="purpose keys ticked or implied")
    consents: dict[str, ConsentGiven] = Field(
        default_factory=dict, description="purpose key -> the consent given or refused"
    )
    user_agreement: AgreementAccepted | None = None


class SubmissionReceipt(BaseModel):
    """What the caller gets back: references, never the data itself."""

    submission_id: str
    subject_ref: str
    new_subject: bool
    recorded: dict[str, list[str]] = Field(description="purpose -> categories stored")
    consents: dict[str, str] = Field(description="purpose -> consent record id")
    refused: list[str] = Field(description="purposes whose consent was refused")
    gpc_objections: list[str] = Field(description="purposes objected to by Sec-GPC: 1")
