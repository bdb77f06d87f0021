"""The actions the journal records: 152-FZ Art. 3's processing operations plus administrative
ones, each mapped to a W3C DPV 2.3 term.

DPV has no exact term for some 152-FZ operations; those get a lawful term whose ``broader`` is
the nearest DPV concept (research: shared/research/standards.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

DPV = "https://w3id.org/dpv#"
LAWFUL = "https://lawful.example/vocab#"


@dataclass(frozen=True)
class Term:
    iri: str
    exact: bool
    broader: str | None = None


def _dpv(name: str) -> Term:
    return Term(DPV + name, exact=True)


def _minted(name: str, broader: str) -> Term:
    return Term(LAWFUL + name, exact=False, broader=DPV + broader)


PROCESSING: dict[str, Term] = {
    "collect": _dpv("Collect"),
    "record": _dpv("Record"),
    "systematise": _minted("Systematise", "Organise"),
    "accumulate": _minted("Accumulate", "Store"),
    "store": _dpv("Store"),
    "clarify": _minted("Clarify", "Modify"),
    "extract": _minted("Extract", "Retrieve"),
    "use": _dpv("Use"),
    "transfer": _dpv("Transfer"),
    "anonymise": _dpv("Anonymise"),
    "block": _minted("Block", "Restrict"),
    "unblock": _minted("Unblock", "Restrict"),
    "delete": _dpv("Delete"),
    "destroy": _dpv("Destruct"),
}

ADMINISTRATIVE: dict[str, Term] = {
    "key_rotate": _minted("KeyRotation", "Encryption"),
    "subject_create": _minted("SubjectCreation", "Record"),
    "identifier_link": _minted("IdentifierLink", "Organise"),
    "config_check": _minted("PolicyCheck", "LegalCompliance"),
    "audit_verify": _minted("AuditVerification", "LegalCompliance"),
    "policy_publish": _minted("PolicyPublication", "PrivacyNotice"),
    "consent_give": _minted("ConsentGiving", "ConsentGiven"),
    "consent_refuse": _minted("ConsentRefusal", "ConsentRefused"),
    "consent_withdraw": _minted("ConsentWithdrawal", "ConsentWithdrawn"),
    "consent_renewal": _minted("ConsentRenewalRequest", "ConsentRequested"),
    "consent_expire": _minted("ConsentExpiry", "ConsentExpired"),
    "consent_invalidate": _minted("ConsentInvalidation", "ConsentInvalidated"),
    "incident_register": _minted("IncidentRegistration", "IncidentManagementProcedures"),
    "incident_notify": _minted("IncidentNotification", "IncidentReportingCommunication"),
    "incident_close": _minted("IncidentClosure", "IncidentManagementProcedures"),
    "backup": _minted("Backup", "Copy"),
    "restore": _minted("BackupRestore", "Copy"),
    "request_receive": _minted("RightExerciseReceipt", "RightExerciseNotice"),
    "request_verify": _minted("RightExerciseVerification", "IdentityVerification"),
    "request_extend": _minted("RightExerciseExtension", "RightExerciseNotice"),
    "request_close": _minted("RightExerciseClosure", "RightExerciseRecord"),
    "destruction_act": _minted("DestructionAct", "RecordsOfActivities"),
    "authority_request": _minted("AuthorityRequestRecord", "RecordsOfActivities"),
    "retention_event": _minted("PurposeAchievedEvent", "RecordsOfActivities"),
    "legal_hold": _minted("LegalHold", "Restrict"),
    "legal_hold_release": _minted("LegalHoldRelease", "Restrict"),
}

ACTIONS: dict[str, Term] = {**PROCESSING, **ADMINISTRATIVE}
