"""The operator's published documents: privacy policy, cross-border transfer policy, one
consent text per consent purpose, the conditions for data made public, and the user agreement.

Texts are rendered from lawful.yaml (``render``), versioned by content hash (``service``),
published together with the renewal of consents they no longer cover (``flows``) and served
at stable URLs by ``lawful.web.routes.documents``.
"""
