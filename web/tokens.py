"""Signed links (made by the notifier for digests, read here): see notifier.links."""

from notifier.links import ADMIN, BadToken, Grant, Signer

__all__ = ["ADMIN", "BadToken", "Grant", "Signer"]
