"""Intake: messages from the operator's channels → personal-data detection, request
classification (and, later, subject linking and routing)."""
