"""The sandbox as a consumer test harness: conformance rules, the consumer conformance journal, chaos rules, the live page."""
