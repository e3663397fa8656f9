#!/bin/sh
# One-shot job: makes sure hookflow's namespace exists (the temporalio/server image, unlike the
# deprecated auto-setup image, creates none). The retention is how long finished runs are kept,
# and so how long a re-delivered webhook is still recognised as a duplicate.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${RETENTION:=7d}"
export TEMPORAL_ADDRESS

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 60 s" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create -n "$NAMESPACE" --retention "$RETENTION"
  echo "created namespace $NAMESPACE (retention $RETENTION)"
fi
# The search attributes HookflowRecipe, HookflowSource and HookflowEvent are registered by
# hookflow itself when it starts (through the operator service), so nothing more is needed here.
