"""The Spine identities gpsynth uses by default: the ASIDs its sandbox and load-test consumers name in the
SSP headers (Ssp-To, Ssp-From)."""

PROVIDER_ASID = "918999198993"      # the provider ASID of the GP Connect provider assurance suite
CONSUMER_ASID = "200000000359"      # the consumer the load-test scripts send as
