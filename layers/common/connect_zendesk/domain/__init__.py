"""Domain logic of the contact-flow steps, written against the ports in `domain.ports`."""
