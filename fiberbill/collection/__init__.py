"""Collection through Stripe: the gateway, the exactly-once collector, webhooks."""
