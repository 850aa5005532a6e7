"""Accounts and what is personal to each reader: users and their passwords (argon2),
browser sessions, API tokens, sign-in rate limiting (``users``, ``passwords``,
``ratelimit``); what they read and saw (``reading``); what they mute (``muting``)."""
