"""Local stand-ins for the services fiberbill talks to, shared by tests/ and benchmarks/:
localstripe (a Stripe-compatible test server, GPL-3.0, run as a separate process) with the
patches the tests need, and its client. Product code never imports this package."""
