"""Email: rendering and queueing into the outbox, links, and the SMTP dispatcher."""
