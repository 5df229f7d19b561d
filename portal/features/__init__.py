"""One module per customer-area feature; each is a blueprint gated by one permission."""
