"""The operator's own people who sign in to the admin pages: their roles, passwords (argon2id),
optional TOTP second factor, lock-out after wrong passwords, and server-side sessions."""
