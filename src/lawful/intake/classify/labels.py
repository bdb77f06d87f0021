"""What an inbound message can ask for: the rights of lawful.yaml's ``request_phrases`` plus a
complaint and an ordinary inquiry."""

from __future__ import annotations

from typing import Literal, get_args

from lawful.config.models import Right

Label = Right | Literal["complaint", "inquiry"]
LABELS: tuple[str, ...] = (*get_args(Right), "complaint", "inquiry")
