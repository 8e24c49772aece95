"""Zendesk Support API through zenpy. Import from here lazily: it loads requests and zenpy."""
