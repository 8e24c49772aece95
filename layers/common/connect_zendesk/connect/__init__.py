"""Amazon Connect contact-flow contract: event parsing, flat responses, the step runner."""
