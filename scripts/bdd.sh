#!/usr/bin/env bash
# Runs the BDD features once per cell of the protocol-era matrix (cucumber.js names the profiles); fails if any fails.
# Extra arguments (a feature file, --tags ...) go to every run.
set -u
status=0
for profile in default modernClients modernUpstreams modernBoth; do
  echo "== cucumber profile: $profile"
  npx cucumber-js --profile "$profile" "$@" || status=1
done
exit $status
