"""The LLM layer: a `ChatModel` seam, the OpenAI-SDK implementation, budgets, cache and call log."""
