"""The chat agent: a model-agnostic tool loop, the Gemini model, and an offline deterministic model."""
