"""Text messages: numbers, segments, the messages, the providers, and what people reply."""
