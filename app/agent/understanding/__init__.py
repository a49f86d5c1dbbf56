"""The offline model's understanding of people, in small parts.

normalise (typos, one matching form) -> context (what the conversation already says: the last tasks mentioned, our
last question, the user's local time) -> parse (intents and their slots) -> references (which task a phrase means)
-> plan (the next tool call, or the reply) -> phrase (what the reply says).
"""
