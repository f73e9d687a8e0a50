"""The mail intake: replies to ikz's mail become notes and proposals, exactly once, or go to a quarantine.

mailboxes (Maildir or IMAP) → parsing (headers, text, automatic replies) → reading (quotes, signatures,
commands) → taking in (token, sender, mandate; the write seam) → fetching (commit, then move).
"""
